"""Form-fill accuracy on the synthetic corpus: field recall, precision and seconds per page.

Runs the whole graph offline on every corpus form (rendered on the fly from bench.corpus)
and compares the answer with the generator's ground truth. A predicted field counts as
correct when its box matches an expected field's box (IoU ≥ 0.5, or its centre inside a small
radio/checkbox) and its action and normalised value agree.

    python -m bench.fill_accuracy [--variant N] [--only ID] [--out bench/out/fill] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

from agents.context import Context
from bench.corpus import corpus
from bench.formgen import render
from graph.builder import graph
from tools.forms.validators import parse_date
from tools.perception.hybrid import iou


def same_place(pred: list[int], exp: list[int]) -> bool:
    cx, cy = (pred[0] + pred[2]) / 2, (pred[1] + pred[3]) / 2
    small = (exp[2] - exp[0]) < 40 and (exp[3] - exp[1]) < 40
    inside = exp[0] <= cx <= exp[2] and exp[1] <= cy <= exp[3]
    return iou(pred, exp) >= 0.5 or (small and inside)


def norm_value(value: str) -> str:
    date = parse_date(value)
    if date:
        return date.isoformat()
    return re.sub(r"[\s\-]", "", value).lower()


def score_case(answer: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """Correct / predicted / expected counts and what went wrong."""
    wanted = list(expected["fields"])
    correct, wrong = 0, []
    for f in answer["fields"]:
        hit = next((e for e in wanted if same_place(f["bbox"], e["bbox"])
                    and f["action"] == e["action"]
                    and norm_value(f["value"]) == norm_value(e["value"])), None)
        if hit is not None:
            wanted.remove(hit)
            correct += 1
        else:
            wrong.append(f"{f['label']}={f['value']}@{f['bbox']}")
    return {"correct": correct, "predicted": len(answer["fields"]),
            "expected": len(expected["fields"]), "wrong": wrong,
            "missed": [f"{e['label']}={e['value']}" for e in wanted]}


async def run_case(case: Any, out: Path) -> tuple[dict[str, Any], float]:
    image, _truth = render(case.spec)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{case.spec.id}.png"
    image.save(path)
    parts = [{"type": "text", "text": case.request},
             {"type": "image_url", "image_url": {"url": str(path)}}]
    inputs: dict[str, Any] = {"messages": [HumanMessage(content=parts)]}
    if case.profile:
        inputs["profile"] = case.profile
    started = time.perf_counter()
    result = await graph.ainvoke(inputs, context=Context(
        backend="offline", out_dir=str(out / case.spec.id)))
    seconds = time.perf_counter() - started
    return result["answer"].model_dump(mode="json"), seconds


async def main_async(args: argparse.Namespace) -> int:
    cases = [c for c in corpus(args.variant) if not args.only or c.spec.id in args.only]
    out = Path(args.out)
    totals = {"correct": 0, "predicted": 0, "expected": 0}
    times, rows = [], []
    for case in cases:
        answer, seconds = await run_case(case, out)
        s = score_case(answer, case.expected)
        times.append(seconds)
        for k in totals:
            totals[k] += s[k]
        rows.append({"id": case.spec.id, "seconds": round(seconds, 2), **s})
        print(f"{case.spec.id:28s} {s['correct']:2d}/{s['expected']:2d} expected, "
              f"{s['predicted']:2d} predicted  {seconds:5.2f} s"
              + (f"  wrong: {s['wrong']}" if s["wrong"] else "")
              + (f"  missed: {s['missed']}" if s["missed"] else ""), file=sys.stderr)
    recall = totals["correct"] / totals["expected"] if totals["expected"] else 0.0
    precision = totals["correct"] / totals["predicted"] if totals["predicted"] else 0.0
    summary = {"variant": args.variant, "pages": len(cases), "fields_expected": totals["expected"],
               "recall": round(recall, 4), "precision": round(precision, 4),
               "median_seconds": round(statistics.median(times), 2) if times else None,
               "max_seconds": round(max(times), 2) if times else None}
    print(json.dumps({"summary": summary, "cases": rows} if args.json else summary,
                     ensure_ascii=False, indent=None if not args.json else 2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="case ids to run")
    parser.add_argument("--out", default="bench/out/fill", help="where images/overlays go")
    parser.add_argument("--json", action="store_true", help="per-case detail as JSON")
    parser.add_argument("--variant", type=int, default=0,
                        help="0: the tuning corpus; 1, 2, …: held-out redraws of it")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
