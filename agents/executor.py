"""Executor node: do the task in a real browser (Chromium), verify it, export a replay script.

The loop of a GUI agent: perceive the live page (DOM snapshot + screenshot), decide what to
do on this screen (``agents.act_decide``: the user's data mapped onto the controls, plus the
request's instructions), act, read every action back, then perceive again after a commit
(a click that submits or navigates). An unchanged screen is never decided on again; a value
the page rejects is reported as failed, never as done. A click that commits something
irreversible (submit, pay, delete, send, publish) waits for the user's approval when the
turn's policy is ``ask``. The start URL must be one the operator allowed
(``agents/start_url.py``); requests may only reach its host (or the allowed hosts); uploads
only come from the allowed folders; files go to the configured folder, else to the data
dir. Passwords and ID numbers are masked in logs. Every run writes a standalone Playwright
script that replays it without any model.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from pathlib import Path
from typing import Any
from uuid import uuid4

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.act_decide import Decision, Planned, decide, way_forward
from agents.act_model import decide_with_model
from agents.chat import writes_chinese
from agents.context import Context
from agents.data_mapping import user_data_of
from agents.messages import say
from agents.records import ActReport, StepError
from agents.start_url import start_allowed
from agents.state import StepInput
from tools.browser.action_core import ActionResult
from tools.browser.check_actions import choose, set_checked
from tools.browser.chromium import host_guard, open_page
from tools.browser.instruction_parser import parse
from tools.browser.navigation_actions import click, press
from tools.browser.page_records import PageSnapshot
from tools.browser.perceive import fingerprint, snapshot
from tools.browser.replay_export import replay_script
from tools.browser.screen_check import shown_on_screen
from tools.browser.select_actions import pick_suggestion, select
from tools.browser.text_actions import fill, focus
from tools.browser.upload_action import upload
from tools.common.blobstore import runs_root
from tools.perception.ocr_engine import read_text

log = logging.getLogger(__name__)

MAX_SCREENS = 8  # perceive-decide-act rounds; a flow longer than this is reported unfinished


async def perform(page: Any, p: Planned, upload_dirs: list[str]) -> ActionResult:
    """Carry out one planned action (each tool reads its effect back)."""
    c = p.control
    if p.do == "press":
        return await press(page, str((p.value or ["Enter"])[0]), c)
    assert c is not None
    if p.do == "fill":
        return await fill(page, c, str(p.value), key=p.key)
    if p.do == "select":
        return await select(page, c, p.value, key=p.key)
    if p.do == "pick":
        typed, choice = p.value
        return await pick_suggestion(page, c, typed, choice, key=p.key)
    if p.do == "choose":
        return await choose(page, c, key=p.key)
    if p.do in ("check", "uncheck"):
        return await set_checked(page, c, p.do == "check", key=p.key)
    if p.do == "upload":
        return await upload(page, c, str(p.value), allowed_dirs=upload_dirs)
    if p.do == "focus":
        return await focus(page, c)
    return await click(page, c)


def _rejections(snap: PageSnapshot) -> list[str]:
    """What the page says is wrong: visible error texts and invalid controls."""
    found = [m.text for m in snap.messages if m.kind in ("error", "alert")]
    found += [f"{c.label}: {c.validation_message}" for c in snap.controls
              if c.visible and c.validation_message]
    return found


def _approval(p: Planned, results: list[ActionResult], zh: bool) -> Any:
    """Ask before an irreversible click; returns the user's verdict."""
    return interrupt({
        "kind": "approval",
        "question": say("act.confirm_commit", zh, target=p.control.label if p.control else ""),
        "fields": [], "missing": [], "problems": [],
        "actions": ["accept", "reject"],
        "done": [r.masked() for r in results],
        "pending": {"action": "click", "target": p.control.label if p.control else ""},
        "images": [],
    })


class Run:
    """One executor run: its log of actions, screenshots and outcome."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.results: list[ActionResult] = []
        self.screens: list[str] = []
        self.problems: list[str] = []
        self.stopped = ""
        self.committed = False
        self.clicked: set[str] = set()
        self.filled_at = ""  # the URL of a page holding values typed but not yet submitted
        self.notes: list[str] = []  # what the checks dropped from the model's answers
        self.unseen: list[str] = []  # controls acted on whose name the screenshot lacks

    def shot(self, snap: PageSnapshot) -> None:
        if snap.screenshot:
            self.out.mkdir(parents=True, exist_ok=True)
            path = self.out / f"screen_{len(self.screens) + 1}.png"
            path.write_bytes(snap.screenshot)
            self.screens.append(str(path))

    async def check_screen(self, snap: PageSnapshot, planned: list[Planned]) -> None:
        """OCR the screenshot and note the acted-on controls whose name it does not show."""
        if not snap.screenshot or not planned:
            return
        import io

        from PIL import Image

        image = Image.open(io.BytesIO(snap.screenshot))
        blocks = await asyncio.to_thread(read_text, image)
        for p in planned:
            c = p.control
            name = (c.option_text or c.label or c.placeholder) if c else ""
            if c is not None and name and not shown_on_screen(name, c.bbox, blocks):
                self.unseen.append(name)


async def settled_snapshot(page: Any, tries: int = 8, pause_ms: int = 350,
                           quiet: int = 3) -> PageSnapshot:
    """A snapshot once the page's controls have not changed for ``quiet`` looks in a row
    (about a second): slow sections and late scripts have landed by then."""
    snap = await snapshot(page, screenshot=False)
    calm = 0
    for _ in range(tries):
        await page.wait_for_timeout(pause_ms)
        again = await snapshot(page, screenshot=False)
        same = fingerprint(again, values=False) == fingerprint(snap, values=False)
        calm, snap = (calm + 1 if same else 0), again
        if calm >= quiet - 1:
            break
    return await snapshot(page)  # with its screenshot, for the record


async def _act_on(page: Any, run: Run, d: Decision, done: set[int], upload_dirs: list[str],
                  approve: str, zh: bool, snap: PageSnapshot) -> bool | None:
    """The screen's fills, then its commit; False when the run must stop here, None when
    the fills changed the page (a field appeared): decide again before committing."""
    done.update(d.satisfied)
    await run.check_screen(snap, [*d.fills, *([d.commit] if d.commit else [])])
    for p in d.fills:
        res = await perform(page, p, upload_dirs)
        run.results.append(res)
        if res.ok and p.intent is not None:
            done.add(p.intent)
        if not res.ok:
            run.problems.append(f"{res.target or res.action}: {res.message or 'not applied'}")
        elif p.do not in ("focus", "press"):
            run.filled_at = res.url
    if d.commit is None:
        return False
    before = fingerprint(snap, values=False)
    if d.fills and fingerprint(await snapshot(page, screenshot=False), values=False) != before:
        return None
    if run.problems:
        run.stopped = "not submitted: some values were not applied"
        return False
    if d.commit.irreversible and approve == "ask":
        verdict = _approval(d.commit, run.results, zh)
        action = verdict.get("action") if isinstance(verdict, dict) else verdict
        if action != "accept":
            run.stopped = "rejected by the user before the commit"
            return False
    res = await perform(page, d.commit, upload_dirs)
    run.results.append(res)
    if not res.ok:
        run.problems.append(f"{res.target}: {res.message or 'click failed'}")
        return False
    if d.commit.intent is not None:
        done.add(d.commit.intent)
    run.committed, run.filled_at = True, ""
    return True


async def executor(state: StepInput, runtime: Runtime[Context]) -> dict[str, Any]:
    """Perceive, decide, act and verify on the live page until the request is done."""
    ctx = runtime.context
    url = state.get("url")
    if not url:
        raise RuntimeError("no URL to act on (vlcrew act --url …)")
    request = state.get("request", "")
    zh = writes_chinese(request)
    if not start_allowed(url, ctx.act_start_urls):  # ingest refused it already; never open it
        raise PermissionError(say("act.start_not_allowed", zh, url=url[:200]))
    data = user_data_of(state.get("requests") or [request], state.get("profile"))
    intents = parse(request)
    upload_dirs = [d for d in ctx.upload_dirs.split(":") if d]
    hosts = [h for h in ctx.allowed_hosts.split(",") if h] or None
    # Never the working folder (a server's): the configured one, else a folder of its own
    # under the data dir.
    run = Run(Path(ctx.out_dir) / "act" if ctx.out_dir else runs_root() / f"act-{uuid4().hex}")
    use_model = state.get("backend") == "vllm"
    step = state.get("step")
    step_id = step.id if step else "executor"
    errors: list[StepError] = []
    done: set[int] = set()
    seen: Counter[str] = Counter()
    final = (url, "")
    async with open_page(url, hosts) as page:
        for _screen in range(MAX_SCREENS):
            snap = await settled_snapshot(page)
            run.shot(snap)
            final = (snap.url, snap.title)
            if run.committed and _rejections(snap):
                run.problems.extend(_rejections(snap))
                run.stopped = "the page rejected the submission"
                break
            seen[fingerprint(snap)] += 1
            if seen[fingerprint(snap)] > 2:
                run.stopped = "the page stopped changing"
                break
            if use_model:
                decided, note = await decide_with_model(ctx, snap, request, [
                    str(r) for r in run.results])
                if note:
                    run.notes.append(note)
                if decided is not None:
                    if not decided.fills and decided.commit is None:
                        break  # the model says this screen needs nothing more
                    went_on = await _act_on(page, run, decided, done, upload_dirs, state.get(
                        "approve_mode", ctx.approve), zh, snap)
                    if went_on is False:
                        break
                    continue
                use_model = False  # unusable: the rules take over for the rest of the run
                errors.append(StepError(step=step_id, kind="fallback", message=(
                    f"executor: model answer unusable ({note}); deciding by the rules")))
            d = decide(snap, request, data, intents, done, ctx.match_threshold,
                       filled_here=run.filled_at == snap.url)
            if d.commit is None or (d.commit.intent is None and d.commit.irreversible):
                # Nothing explicit to click: a button the request talks about that opens
                # more of the form (add invoice details, add product) comes first.
                ahead = way_forward(snap, request, exclude=run.clicked)
                if ahead is not None and not ahead.irreversible and (
                        d.commit is None or ahead.control is not d.commit.control):
                    d.commit = ahead
            clicking = d.commit.control.label if d.commit and d.commit.control else None
            if d.satisfied and not d.fills and d.commit is None:
                done.update(d.satisfied)
                d = decide(snap, request, data, intents, done, ctx.match_threshold)
            went_on = await _act_on(page, run, d, done, upload_dirs, state.get(
                "approve_mode", ctx.approve), zh, snap)
            if went_on is False:
                break
            if went_on and clicking is not None:
                # Remembered once clicked, not when planned: a click put off because the
                # fills changed the page (a section landed late) is decided again next screen.
                run.clicked.add(clicking)
        guard = host_guard(page)
        blocked = list(guard.blocked) if guard else []
    pending = [] if use_model else [  # the model, not the rules' intents, judged completion
        intents[i].text for i in range(len(intents))
        if i not in done and not _answered_by_data(intents[i], run.results)]
    ok = not run.problems and not run.stopped and not pending and bool(run.results)
    report = ActReport(
        start_url=url, final_url=final[0], title=final[1], ok=ok,
        message="; ".join(x for x in (run.stopped, *run.problems) if x) or (
            f"not done: {', '.join(pending)}" if pending else "done"),
        screenshots=run.screens, blocked=blocked, pending=pending,
        not_on_screen=sorted(set(run.unseen)))
    report.files.update(_replay(url, run))
    # The state is a trace: passwords and ID numbers in it are masked (the replay file,
    # the user's own, keeps the values the script needs).
    return {"actions": [r.masked() for r in run.results], "act": report, "errors": errors,
            "warnings": [f"executor: {n}" for n in run.notes]}


def _answered_by_data(intent: Any, results: list[ActionResult]) -> bool:
    """A value-setting instruction whose field the user's data already set, read back."""
    if intent.kind not in ("select", "type", "date", "check") or not intent.target:
        return False
    target = intent.target.strip().lower()
    return any(r.ok and r.action != "click" and r.target and (
        target in r.target.lower() or r.target.lower() in target) for r in results)


def _replay(url: str, run: Run) -> dict[str, str]:
    """Write the replay script and its values file beside the screenshots."""
    script, values = replay_script(url, [r for r in run.results if r.ok])
    run.out.mkdir(parents=True, exist_ok=True)
    (run.out / "replay.py").write_text(script, encoding="utf-8")
    (run.out / "replay_values.json").write_text(values, encoding="utf-8")
    return {"replay": str(run.out / "replay.py"), "replay_values": str(
        run.out / "replay_values.json")}
