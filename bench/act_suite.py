"""Success rate and seconds per task of the GUI executor over the local test site.

Every task of ``tests/site/tasks.json`` (Chinese bank form, English claim, login then form,
two-page product flow with upload, placeholder-only and table forms, dynamic and validating
pages, custom dropdowns, instruction pages) runs through the whole graph with
``approve=auto`` on the offline engine; the site's server records what was submitted, and
that is checked against the task's expectation (exact values, fields left empty, files).

    python -m bench.act_suite [--only ID ...] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


async def run_task(task: dict[str, Any], site: Any, out: Path) -> tuple[list[str], Any, float]:
    """Problems with the submission (``[]`` = success), the answer, and the seconds taken."""
    from langchain_core.messages import HumanMessage

    from agents.context import Context
    from graph.builder import graph
    from tests.site_server import check_submission

    ctx = Context(backend="offline", approve="auto", out_dir=str(out / task["id"]),
                  upload_dirs=str(ROOT / "tests" / "site" / "files")).starting_at(site.url)
    site.reset()
    started = time.perf_counter()
    result = await graph.ainvoke({"messages": [HumanMessage(content=task["request"])],
                                  "url": f"{site.url}/{task['page']}"}, context=ctx)
    seconds = time.perf_counter() - started
    await asyncio.sleep(0.3)  # background submissions (tick boxes, focus reports) land
    answer = result["answer"]
    problems = check_submission(task["expect"], site.submissions)
    rejected = task["expect"].get("accepted") is False
    if rejected and answer.act is not None and answer.act.ok:
        problems.append("the page rejected the value but the run reported success")
    return problems, answer, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="task ids to run (default: all)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("VLCREW_DATA_DIR", tempfile.mkdtemp(prefix="vlcrew-act-"))
    os.chdir(ROOT)  # requests name upload files relative to the repository
    from tests.site_server import SiteServer, load_tasks

    tasks = [t for t in load_tasks() if not args.only or t["id"] in args.only]
    out = Path(tempfile.mkdtemp(prefix="vlcrew-act-out-"))
    rows = []
    with SiteServer() as site:
        for task in tasks:
            problems, answer, seconds = asyncio.run(run_task(task, site, out))
            rows.append({"id": task["id"], "ok": not problems, "seconds": round(seconds, 2),
                         "actions": len(answer.actions),
                         "report": answer.act.message if answer.act else "",
                         "problems": problems})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        mark = "ok  " if r["ok"] else "FAIL"
        print(f"{mark} {r['id']:<22} {r['seconds']:6.2f} s  {r['actions']:2} actions  "
              f"{'; '.join(r['problems'])[:90] if r['problems'] else ''}")
    passed = sum(r["ok"] for r in rows)
    secs = [r["seconds"] for r in rows]
    print(f"\n{passed}/{len(rows)} tasks succeeded ({100 * passed / max(1, len(rows)):.0f}%); "
          f"seconds per task: median {statistics.median(secs):.2f}, max {max(secs):.2f} "
          f"(target: 100%, <= 10 s offline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
