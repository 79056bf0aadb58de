"""0–1000 model coordinates to pixels, and snapping model boxes to layout boxes."""

from __future__ import annotations

from tools.common.coords import pixels_to_rel, rel_to_pixels
from tools.common.schema import Element
from tools.perception.hybrid import iou, snap


def test_relative_boxes_scale_to_the_original_image_not_the_model_input() -> None:
    # 1000×1190 form; the model saw a resized copy, but 0–1000 is relative to either.
    assert rel_to_pixels([188, 118, 608, 148], 1000, 1190) == [188, 140, 608, 176]
    assert rel_to_pixels([500, 500, 1000, 1000], 1920, 1080) == [960, 540, 1920, 1080]
    assert pixels_to_rel([960, 540, 1920, 1080], 1920, 1080) == [500, 500, 1000, 1000]


def test_bad_model_boxes_are_refused_or_repaired() -> None:
    assert rel_to_pixels([608, 148, 188, 118], 1000, 1190) == [188, 140, 608, 176]  # swapped
    assert rel_to_pixels([-10, 0, 1020, 500], 100, 100) == [0, 0, 100, 50]  # small overshoot
    assert rel_to_pixels([0, 0, 5000, 5000], 100, 100) is None  # pixels, not 0–1000
    assert rel_to_pixels([10, 10, 10, 50], 100, 100) is None  # empty
    assert rel_to_pixels([1, 2, 3], 100, 100) is None
    assert rel_to_pixels(["a", 0, 1, 1], 100, 100) is None  # type: ignore[list-item]


def el(box: list[int], conf: float, label: str | None = None) -> Element:
    return Element(kind="text_input", bbox=box, confidence=conf, label=label)


def test_snap_takes_layout_boxes_where_they_agree_and_keeps_both_confidences() -> None:
    model = [el([185, 135, 612, 180], 0.8, "姓名"), el([700, 700, 800, 740], 0.7, "备注")]
    layout = [el([188, 140, 608, 176], 0.95), el([188, 200, 608, 236], 0.95)]
    out = snap(model, layout)
    assert out[0].bbox == [188, 140, 608, 176] and out[0].label == "姓名"
    assert out[0].source.startswith("hybrid(model=0.80,layout=0.95,iou=")
    assert out[1].bbox == [700, 700, 800, 740] and out[1].source == "layout"  # untouched
    assert iou([0, 0, 10, 10], [5, 0, 15, 10]) == 5 * 10 / 150


def test_each_layout_box_is_used_once() -> None:
    model = [el([0, 0, 100, 30], 0.9), el([2, 1, 101, 31], 0.9)]
    out = snap(model, [el([0, 0, 100, 30], 0.9)])
    assert sum(o.source.startswith("hybrid") for o in out) == 1
