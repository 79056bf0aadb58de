"""Draw what the offline layout analysis sees on one image, for a person to check.

Elements are outlined by kind (legend at the top), label boxes in green with a line to their
control, OCR blocks that nobody used in thin grey; each control is numbered and listed on
stdout with its kind, confidence, label, placeholder and option.

    python bench/layout_debug.py IMAGE [--out PNG] [--no-ocr]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script too

from tools.common.fonts import font
from tools.common.schema import Element, TextBlock
from tools.perception.layout import detect_elements, link_labels

COLOURS = {
    "text_input": (37, 99, 235), "textarea": (124, 58, 237), "select": (13, 148, 136),
    "checkbox": (234, 88, 12), "radio": (219, 39, 119), "button": (100, 116, 139),
    "date": (202, 138, 4), "upload": (101, 163, 13),
}
LABEL = (22, 163, 74)


def draw(image: Image.Image, elements: list[Element], blocks: list[TextBlock]) -> Image.Image:
    """The image (with a legend strip on top) and the elements drawn over it."""
    legend_h = 30
    canvas = Image.new("RGB", (image.width, image.height + legend_h), "white")
    canvas.paste(image.convert("RGB"), (0, legend_h))
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    x = 6
    for kind, colour in COLOURS.items():
        d.rectangle((x, 8, x + 14, 22), fill=(*colour, 255))
        d.text((x + 18, 15), kind, font=font(12), fill=(30, 30, 30, 255), anchor="lm")
        x += 30 + int(d.textlength(kind, font=font(12)))

    def shift(b: list[int]) -> tuple[int, int, int, int]:
        return b[0], b[1] + legend_h, b[2] - 1, b[3] - 1 + legend_h

    used = [e.label_bbox for e in elements if e.label_bbox]
    for b in blocks:
        if b.bbox not in used:
            d.rectangle(shift(b.bbox), outline=(150, 150, 150, 160), width=1)
    for n, e in enumerate(elements, start=1):
        colour = COLOURS.get(e.kind, (0, 0, 0))
        box = shift(e.bbox)
        synthetic = e.confidence < 0.45
        d.rectangle(box, outline=(*colour, 255), fill=(*colour, 40 if not synthetic else 15),
                    width=2 if not synthetic else 1)
        if synthetic:  # a synthesised region: mark the corners
            for cx, cy in ((box[0], box[1]), (box[2], box[3])):
                d.ellipse((cx - 3, cy - 3, cx + 3, cy + 3), fill=(*colour, 255))
        tag = f"{n}"  # at the top-right corner, clear of labels above or left of the box
        tw = 8 + 7 * len(tag)
        d.rectangle((box[2] - tw, box[1] - 14, box[2], box[1]), fill=(*colour, 230))
        d.text((box[2] - tw + 3, box[1] - 7), tag, font=font(11), fill=(255, 255, 255, 255),
               anchor="lm")
        if e.label_bbox:
            lb = shift(e.label_bbox)
            d.rectangle(lb, outline=(*LABEL, 255), width=1)
            d.line(((lb[2], (lb[1] + lb[3]) / 2), (box[0], (box[1] + box[3]) / 2)),
                   fill=(*LABEL, 200), width=1)
    return Image.alpha_composite(canvas.convert("RGBA"), layer).convert("RGB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", help="screenshot of a form")
    parser.add_argument("--out", help="where to write the drawing (default IMAGE.layout.png)")
    parser.add_argument("--no-ocr", action="store_true", help="detection only, no labels")
    args = parser.parse_args()
    image = Image.open(args.image).convert("RGB")
    started = time.perf_counter()
    elements = detect_elements(image)
    detect_s = time.perf_counter() - started
    blocks: list[TextBlock] = []
    if not args.no_ocr:
        from tools.perception.ocr_engine import read_text

        blocks = read_text(image)
        elements = link_labels(elements, blocks, image.size, image)
    total_s = time.perf_counter() - started
    for n, e in enumerate(elements, start=1):
        print(f"{n:3d} {e.kind:10s} {e.confidence:.2f} {e.bbox!s:24s} label={e.label!r} "
              f"placeholder={e.placeholder!r} option={e.option!r}")
    print(f"detect {detect_s:.3f} s, total {total_s:.2f} s", file=sys.stderr)
    out = Path(args.out) if args.out else Path(args.image).with_suffix(".layout.png")
    draw(image, elements, blocks).save(out)
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
