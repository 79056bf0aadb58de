"""The GUI executor end to end: every task of the local test site through the whole graph.

Real Chromium (/usr/bin/chromium through Playwright), the real site server on 127.0.0.1,
``approve=auto``, the offline engine. The server records what each form submitted; the task
passes only when that equals the user's values exactly, with fields the user gave no value
for left empty — and a value the page rejects must be reported as failed. Tasks the
executor does not do yet are listed in ``NOT_YET`` as strict expected failures: they fail
loudly once they start to pass, so the list never lies.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.act_suite import run_task
from tests.conftest import ROOT
from tests.site_server import SiteServer, check_submission, load_tasks

pytestmark = [pytest.mark.browser, pytest.mark.server,
              pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                 reason="needs Debian's chromium at /usr/bin/chromium")]

NOT_YET: dict[str, str] = {}  # task id → why it cannot pass yet (none today)
TASKS = load_tasks()


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # requests name upload files relative to the repository


@pytest.mark.parametrize("task", [
    pytest.param(t, id=t["id"], marks=[pytest.mark.xfail(reason=NOT_YET[t["id"]], strict=True)]
                 if t["id"] in NOT_YET else []) for t in TASKS])
def test_task_submits_exactly_the_users_values(task: dict[str, Any], site: SiteServer,
                                               tmp_path: Path) -> None:
    problems, answer, _seconds = asyncio.run(run_task(task, site, tmp_path))
    assert problems == []
    report = answer.act
    assert report is not None and answer.backend == "offline"
    if task["expect"].get("accepted") is False:
        assert not report.ok and "rejected" in report.message
        assert any(not a["ok"] for a in answer.actions)
    else:
        assert report.ok, report.message
        assert all(a["ok"] for a in answer.actions), answer.actions
    assert report.blocked == [] and report.screenshots
    assert all(Path(p).is_file() for p in report.screenshots)


def test_secrets_are_masked_in_the_answer(site: SiteServer, tmp_path: Path) -> None:
    task = next(t for t in TASKS if t["id"] == "login")
    _problems, answer, _seconds = asyncio.run(run_task(task, site, tmp_path))
    dumped = json.dumps(answer.model_dump(mode="json"), ensure_ascii=False)
    assert "s3cret" not in dumped
    password = next(a for a in answer.actions if a["secret"])
    assert password["value"] != "s3cret!" and password["ok"]


def test_the_exported_script_replays_the_fill_on_its_own(site: SiteServer,
                                                         tmp_path: Path) -> None:
    task = next(t for t in TASKS if t["id"] == "bank_full")
    problems, answer, _seconds = asyncio.run(run_task(task, site, tmp_path))
    assert problems == []
    script = Path(answer.act.files["replay"])
    site.reset()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VLCREW_")}
    done = subprocess.run([sys.executable, str(script)], cwd=script.parent, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert check_submission(task["expect"], site.submissions) == []


def test_an_off_site_request_is_refused(site: SiteServer, tmp_path: Path) -> None:
    task = {"id": "off_site", "page": "buttons.html",
            "request": "点击“保存”按钮", "expect": {"path": "/submit/button",
                                                 "fields": {"action": "save"}}}
    problems, answer, _seconds = asyncio.run(run_task(task, site, tmp_path))
    assert problems == [] and answer.act.ok
    # The page itself stays on 127.0.0.1: nothing was refused, and nothing left the host.
    assert answer.act.blocked == []


def test_ask_stops_before_the_irreversible_click(site: SiteServer, tmp_path: Path) -> None:
    """approve=ask: the run pauses before 提交 with what it did; accept submits, reject not."""
    from langchain_core.messages import HumanMessage
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    from agents.context import Context
    from graph.builder import build_graph

    task = next(t for t in TASKS if t["id"] == "bank_partial")
    graph = build_graph(checkpointer=InMemorySaver())
    ctx = Context(backend="offline", approve="ask", out_dir=str(tmp_path)).starting_at(site.url)

    async def turn(verdict: str) -> Any:
        config = {"configurable": {"thread_id": verdict}}
        await graph.ainvoke({"messages": [HumanMessage(content=task["request"])],
                             "url": f"{site.url}/{task['page']}"}, config, context=ctx)
        paused = await graph.aget_state(config)
        assert site.submissions == []  # nothing committed while waiting
        payload = paused.interrupts[0].value
        assert payload["pending"]["target"].startswith("提交") and payload["done"]
        await graph.ainvoke(Command(resume={"action": verdict}), config, context=ctx)
        return (await graph.aget_state(config)).values["answer"]

    site.reset()
    answer = asyncio.run(turn("accept"))
    assert answer.act.ok and check_submission(task["expect"], site.submissions) == []
    site.reset()
    answer = asyncio.run(turn("reject"))
    assert not answer.act.ok and "rejected by the user" in answer.act.message
    assert site.submissions == []


def test_a_name_only_the_markup_gives_is_reported_as_not_on_screen(site: SiteServer,
                                                                    tmp_path: Path) -> None:
    """DOM-first grounding is checked against OCR of the screenshot: an aria-only label is
    acted on (the user named it) but reported, so a reviewer knows it rests on markup."""
    task = {"id": "aria", "page": "aria_only.html",
            "request": "voucher code SPRING-2025, email a@b.co, redeem it",
            "expect": {"path": "/submit/voucher",
                       "fields": {"code": "SPRING-2025", "email": "a@b.co"}}}
    problems, answer, _seconds = asyncio.run(run_task(task, site, tmp_path))
    assert problems == [] and answer.act.ok
    assert answer.act.not_on_screen == ["Voucher code"]
