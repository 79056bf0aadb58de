"""Offline accuracy and seconds of the document, math, frontend and video tools.

Runs each tool end to end (OCR included) on the inputs of ``bench/expert_inputs.py`` —
the ones the tests check — plus a few harder variants of them (smaller type and 1-px rules,
JPEG compression, a slower frame rate), and prints one row per input:

* reading: share of paragraphs found in the right place (≥ 0.9 alike, spaces ignored);
* tables: share of cells read exactly (spaces ignored: the recogniser drops them);
* math: share of problems whose sympy-verified answer is the right one;
* frontend: the visual similarity of the rendered rebuild (``tools.frontend.page_compare``) and,
  in the detail column, the blank-page floor and the controls rebuilt;
* video: share of caption changes found within ±1 s with the right text (with a fade,
  its start is the true time).

    python -m bench.experts [--json]
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from bench.expert_inputs import (
    MATH_CASES,
    MORE_MATH_CASES,
    VIDEO_SCRIPT,
    borderless_table,
    math_image,
    merged_table,
    ruled_table,
    text_video,
    two_column_page,
    ui_screenshot,
)
from tools.documents.reading import read
from tools.documents.tables import find_tables
from tools.frontend.html_rebuild import rebuild_html
from tools.frontend.page_compare import chromium_path, compare_html, similarity
from tools.maths.math_solver import solve_image
from tools.media.video_frames import analyze_video
from tools.perception.ocr_engine import read_text


def squash(s: str) -> str:
    return "".join(s.split())


def jpeg(img: Image.Image, quality: int = 60) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def reading_case(name: str, img: Image.Image, expected: list[str]) -> dict[str, Any]:
    paras, secs = timed(lambda: read(read_text(img)).paragraphs)
    hits = sum(1 for i, want in enumerate(expected) if i < len(paras) and difflib.SequenceMatcher(
        None, squash(want), squash(paras[i].text)).ratio() >= 0.9)
    return {"expert": "reading", "input": name, "accuracy": hits / len(expected),
            "detail": f"{hits}/{len(expected)} paragraphs, {len(paras)} found", "seconds": secs}


def table_case(name: str, img: Image.Image, rows: list[list[str]]) -> dict[str, Any]:
    tables, secs = timed(lambda: find_tables(img, read_text(img)))
    got = tables[0].table.rows if tables else []
    cells = [(r, c) for r, row in enumerate(rows) for c in range(len(row))]
    hits = sum(1 for r, c in cells if r < len(got) and c < len(got[r])
               and squash(got[r][c]) == squash(rows[r][c]))
    kind = tables[0].source if tables else "none"
    return {"expert": "tables", "input": name, "accuracy": hits / len(cells),
            "detail": f"{hits}/{len(cells)} cells, {len(tables)} table(s), {kind}",
            "seconds": secs}


def math_case(name: str, img: Image.Image, cases: list[Any]) -> dict[str, Any]:
    sols, secs = timed(lambda: solve_image(img, read_text(img)))
    hits = sum(1 for case, sol in zip(cases, sols, strict=False)
               if sol.verified and sol.solutions == {k: v for k, v in case.answer.items()})
    return {"expert": "math", "input": name, "accuracy": hits / len(cases),
            "detail": f"{hits}/{len(cases)} verified right", "seconds": secs}


def frontend_case(name: str, img: Image.Image) -> dict[str, Any]:
    def run() -> tuple[Any, Any]:
        page = rebuild_html(img, read_text(img))
        sim, _rendered = compare_html(page.html, img, with_text=True)
        return page, sim

    if chromium_path() is None:
        return {"expert": "frontend", "input": name, "accuracy": float("nan"),
                "detail": "skipped: no /usr/bin/chromium", "seconds": 0.0}
    (page, sim), secs = timed(run)
    floor = similarity(Image.new("RGB", img.size, page.background), img).score
    controls = sum(1 for e in page.elements if e.tag in ("input", "button"))
    return {"expert": "frontend", "input": name, "accuracy": sim.score,
            "detail": f"ssim {sim.ssim:.2f} edges {sim.edges:.2f} colour {sim.color:.2f} "
                      f"text {sim.text:.2f}; blank page {floor:.2f}; {controls}/3 controls",
            "seconds": secs}


def video_case(name: str, fps: float, refine: bool, fade: float = 0.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "captions.avi"
        text_video(path, fade=fade)
        result, secs = timed(lambda: analyze_video(path, fps=fps, refine=refine))
    events = result.events
    hits = sum(1 for (t, text), e in zip(VIDEO_SCRIPT, events, strict=False)
               if abs(e.start - t) <= 1.0 and squash(e.text) == squash(text))
    err = max((abs(e.start - t) for (t, _x), e in zip(VIDEO_SCRIPT, events, strict=False)),
              default=float("nan"))
    return {"expert": "video", "input": name, "accuracy": hits / len(VIDEO_SCRIPT),
            "detail": f"{hits}/{len(VIDEO_SCRIPT)} events, {len(events)} found, "
                      f"worst time error {err:.2f} s", "seconds": secs}


def run_all() -> list[dict[str, Any]]:
    read_text(Image.new("RGB", (64, 32), "white"))  # load the OCR engine outside the timings
    page, paragraphs = two_column_page()
    ruled, rows = ruled_table()
    small, small_rows = ruled_table(size=18, line=1)
    borderless, b_rows = borderless_table()
    merged, m_rows = merged_table()
    worksheet = math_image([line for c in MATH_CASES for line in c.printed()])
    ui, _truth = ui_screenshot()
    return [
        reading_case("two-column page", page, paragraphs),
        reading_case("two-column page, JPEG q60", jpeg(page), paragraphs),
        table_case("ruled 5×3", ruled, rows),
        table_case("ruled 5×3, 18 px, 1-px rules", small, small_rows),
        table_case("ruled 5×3, JPEG q60", jpeg(ruled), rows),
        table_case("merged cells", merged, m_rows),
        table_case("borderless 5×3", borderless, b_rows),
        math_case("worksheet (6 problems)", worksheet, MATH_CASES),
        math_case("worksheet, 28 px", math_image(
            [line for c in MATH_CASES for line in c.printed()], size=28), MATH_CASES),
        math_case("worksheet, JPEG q60", jpeg(worksheet), MATH_CASES),
        math_case("worksheet B (7 problems), 32 px", math_image(
            [line for c in MORE_MATH_CASES for line in c.printed()], size=32), MORE_MATH_CASES),
        frontend_case("login screen 480×400", ui),
        frontend_case("login screen, JPEG q60", jpeg(ui)),
        video_case("8 s MJPG, 1 fps + bisection", 1.0, True),
        video_case("8 s MJPG, 1 fps, no bisection", 1.0, False),
        video_case("8 s MJPG, 0.5 fps + bisection", 0.5, True),
        video_case("1-s cross-fades, 1 fps + bisection", 1.0, True, fade=1.0),
        video_case("1-s cross-fades, 0.5 fps + bisection", 0.5, True, fade=1.0),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = run_all()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    head = f"{'expert':<9} {'input':<36} {'accuracy':>8} {'seconds':>7}  detail"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['expert']:<9} {r['input']:<36} {r['accuracy']:>8.3f} {r['seconds']:>7.2f}  "
              f"{r['detail']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
