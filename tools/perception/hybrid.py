"""Hybrid grounding: snap a model's box to the layout detector's box it overlaps.

A VLM names controls well but its boxes are a few pixels loose; classical layout analysis
finds pixel-exact borders but cannot read intent. Where the two agree (IoU above a
threshold) the pixel-exact box wins and both confidences are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.common.schema import Box, Element


def iou(a: Sequence[int], b: Sequence[int]) -> float:
    """Intersection over union of two boxes."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def best_overlap(box: Box, candidates: Sequence[Element]) -> tuple[int, float]:
    """Index of the candidate overlapping ``box`` most, and that IoU (-1, 0.0 if none)."""
    best, best_iou = -1, 0.0
    for i, c in enumerate(candidates):
        score = iou(box, c.bbox)
        if score > best_iou:
            best, best_iou = i, score
    return best, best_iou


def snap(model_elements: list[Element], layout_elements: list[Element],
         min_iou: float = 0.3) -> list[Element]:
    """Model elements with boxes snapped to overlapping layout boxes.

    Pairs are matched greedily, best IoU first, each layout box used once. A snapped element
    keeps the model's kind and label, takes the layout's box, and records both confidences
    in ``source``; an unmatched one keeps the model's box and ``source="model"``.
    """
    pairs = sorted(
        ((iou(m.bbox, lay.bbox), i, j) for i, m in enumerate(model_elements)
         for j, lay in enumerate(layout_elements)),
        reverse=True,
    )
    used_model: set[int] = set()
    used_layout: set[int] = set()
    out = list(model_elements)
    for score, i, j in pairs:
        if score < min_iou:
            break
        if i in used_model or j in used_layout:
            continue
        used_model.add(i)
        used_layout.add(j)
        m, lay = model_elements[i], layout_elements[j]
        out[i] = m.model_copy(update={
            "bbox": lay.bbox,
            "confidence": round(min(1.0, max(m.confidence, lay.confidence) * 0.5
                                    + min(m.confidence, lay.confidence) * 0.5 + 0.05), 3),
            "source": f"hybrid(model={m.confidence:.2f},layout={lay.confidence:.2f},"
                      f"iou={score:.2f})",
        })
    return out
