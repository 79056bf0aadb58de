"""Overlay: the form with what will be typed where, and a side panel listing every field.

On the image each field's box is tinted by confidence (green sure, amber unsure, red low or
invalid), the value is written inside it as it would be typed, checks get a tick, and a
number badge ties the box to its row in the panel. The panel also lists missing fields.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from tools.common.fonts import font
from tools.common.schema import FilledField

GREEN, AMBER, RED, GREY = (22, 163, 74), (217, 119, 6), (220, 38, 38), (120, 120, 120)
INK = (29, 78, 216)


def confidence_colour(field: FilledField) -> tuple[int, int, int]:
    """Red for invalid or < 0.5, amber for < 0.8, else green."""
    if field.valid is False or field.confidence < 0.5:
        return RED
    return AMBER if field.confidence < 0.8 else GREEN


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int) -> tuple[str, int]:
    """Shrink (then cut) ``text`` until it fits ``max_width``."""
    while size > 10 and draw.textlength(text, font=font(size)) > max_width:
        size -= 1
    while len(text) > 1 and draw.textlength(text, font=font(size)) > max_width:
        text = text[:-2] + "…"
    return text, size


def _draw_field(draw: ImageDraw.ImageDraw, n: int, f: FilledField) -> None:
    x1, y1, x2, y2 = f.bbox
    colour = confidence_colour(f)
    # A pale, nearly opaque fill hides placeholder text, so the value reads cleanly.
    pale = tuple(int(c * 0.15 + 255 * 0.85) for c in colour)
    draw.rectangle((x1, y1, x2, y2), fill=(*pale, 235), outline=(*colour, 255), width=3)
    if f.action in ("check", "uncheck"):
        # A tick across the box, large enough to see on a small radio.
        w, h = x2 - x1, y2 - y1
        pts = [(x1 + w * 0.15, y1 + h * 0.55), (x1 + w * 0.42, y2 - h * 0.12),
               (x2 + w * 0.35, y1 - h * 0.35)]
        draw.line(pts, fill=(*INK, 255), width=max(3, h // 6), joint="curve")
    else:
        height = y2 - y1
        size = max(12, min(28, int(height * 0.6)))
        text, size = _fit(draw, f.value, size, max(20, x2 - x1 - 12))
        draw.text((x1 + 6, (y1 + y2) / 2), text, font=font(size), fill=(*INK, 255), anchor="lm")
    badge = str(n)
    bf = font(14)
    bw = int(draw.textlength(badge, font=bf)) + 10
    bx, by = max(0, x1 - bw - 2), max(0, y1 - 10)
    draw.rounded_rectangle((bx, by, bx + bw, by + 20), radius=6, fill=(*colour, 255))
    draw.text((bx + bw / 2, by + 10), badge, font=bf, fill=(255, 255, 255, 255), anchor="mm")


def _draw_missing(draw: ImageDraw.ImageDraw, bbox: list[int], tag: str) -> None:
    """A dashed grey outline and a tag: here is a field nobody gave a value for."""
    x1, y1, x2, y2 = bbox
    for x in range(x1, x2, 12):
        draw.line((x, y1, min(x + 6, x2), y1), fill=(*GREY, 255), width=2)
        draw.line((x, y2, min(x + 6, x2), y2), fill=(*GREY, 255), width=2)
    for y in range(y1, y2, 12):
        draw.line((x1, y, x1, min(y + 6, y2)), fill=(*GREY, 255), width=2)
        draw.line((x2, y, x2, min(y + 6, y2)), fill=(*GREY, 255), width=2)
    if x2 - x1 > 60:
        draw.text((x1 + 8, (y1 + y2) / 2), tag, font=font(max(12, min(18, (y2 - y1) // 2))),
                  fill=(*GREY, 255), anchor="lm")


def _panel(fields: list[FilledField], missing: list[str], title: str, width: int,
           height: int, words: dict[str, str]) -> Image.Image:
    panel = Image.new("RGB", (width, height), (248, 250, 252))
    draw = ImageDraw.Draw(panel)
    y = 16
    draw.text((16, y), title, font=font(20), fill=(15, 23, 42))
    y += 34
    legend = (("≥ 0.8", GREEN), ("0.5–0.8", AMBER), ("< 0.5 / invalid", RED))
    x = 16
    for text, colour in legend:
        draw.rectangle((x, y + 3, x + 14, y + 17), fill=colour)
        draw.text((x + 20, y), text, font=font(14), fill=(51, 65, 85))
        x += 28 + int(draw.textlength(text, font=font(14))) + 12
    y += 30
    for n, f in enumerate(fields, start=1):
        colour = confidence_colour(f)
        draw.rounded_rectangle((16, y, 42, y + 22), radius=6, fill=colour)
        draw.text((29, y + 11), str(n), font=font(14), fill="white", anchor="mm")
        head, size = _fit(draw, f"{f.label} → {f.value}", 17, width - 130)
        draw.text((52, y + 1), head, font=font(size), fill=(15, 23, 42))
        draw.text((width - 16, y + 3), f"{f.confidence:.2f}", font=font(14), fill=colour,
                  anchor="ra")
        y += 26
        note = f.message if f.valid is False else None
        if note:
            text, size = _fit(draw, f"✗ {note}", 14, width - 70)
            draw.text((52, y), text, font=font(size), fill=RED)
            y += 20
        y += 4
    if missing:
        y += 8
        draw.text((16, y), words["missing"].format(n=len(missing)), font=font(17), fill=GREY)
        y += 26
        for label in missing:
            text, size = _fit(draw, f"• {label}", 16, width - 40)
            draw.text((24, y), text, font=font(size), fill=GREY)
            y += 22
    return panel


WORDS = {
    "en": {"missing": "Missing ({n}) — not filled:", "tag": "missing — not given",
           "title": "Fields to fill"},
    "zh": {"missing": "缺少 {n} 项（未填写）：", "tag": "缺少信息，未填写", "title": "待填写字段"},
}


def render_overlay(
    image: Image.Image, fields: list[FilledField], missing: list[str], title: str = "",
    missing_boxes: list[list[int]] | None = None, lang: str = "en",
) -> Image.Image:
    """The image with the fields drawn on it, beside a panel that lists them.

    ``missing_boxes`` are the regions of fields the user gave no value for (drawn dashed).
    """
    words = WORDS.get(lang, WORDS["en"])
    base = image.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for box in missing_boxes or []:
        _draw_missing(draw, box, words["tag"])
    for n, f in enumerate(fields, start=1):
        _draw_field(draw, n, f)
    marked = Image.alpha_composite(base, layer).convert("RGB")
    rows = len(fields) * 30 + len(missing) * 22 + 160
    panel_w = max(360, min(520, image.width // 2))
    height = max(image.height, rows)
    out = Image.new("RGB", (image.width + panel_w, height), "white")
    out.paste(marked, (0, 0))
    out.paste(_panel(fields, missing, title or words["title"], panel_w, height, words),
              (image.width, 0))
    return out
