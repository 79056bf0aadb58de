"""The one place where model coordinates become pixels (and back).

Qwen3-VL grounds in *relative* coordinates on a 0–1000 grid (``{"bbox_2d": [x1, y1, x2,
y2]}``), independent of how the image was resized for the model — unlike Qwen2.5-VL, which
used absolute pixels of the resized input. State boxes are integer pixels of the original.
"""

from __future__ import annotations

from collections.abc import Sequence

GRID = 1000


def rel_to_pixels(box: Sequence[float], width: int, height: int) -> list[int] | None:
    """A 0–1000 box as original-image pixels; None when it is not a usable box.

    Values slightly outside the grid (a model's overshoot) are clamped; corners given in the
    wrong order are swapped; an empty or wildly out-of-range box is refused.
    """
    if len(box) != 4:
        return None
    try:
        x1, y1, x2, y2 = (float(v) for v in box)
    except (TypeError, ValueError):
        return None
    if any(v < -0.05 * GRID or v > 1.05 * GRID for v in (x1, y1, x2, y2)):
        return None
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))
    px = [round(min(max(x1, 0), GRID) / GRID * width), round(min(max(y1, 0), GRID) / GRID * height),
          round(min(max(x2, 0), GRID) / GRID * width), round(min(max(y2, 0), GRID) / GRID * height)]
    if px[2] - px[0] < 1 or px[3] - px[1] < 1:
        return None
    return px


def pixels_to_rel(box: Sequence[int], width: int, height: int) -> list[int]:
    """Original-image pixels as a 0–1000 box (for prompts that show the model a box)."""
    x1, y1, x2, y2 = box
    return [round(x1 / width * GRID), round(y1 / height * GRID),
            round(x2 / width * GRID), round(y2 / height * GRID)]
