"""A server killed in the middle of a run (SIGKILL) resumes the thread where it stopped.

``vlcrew serve`` runs as a real process on the vllm backend against a loopback model server
whose data-mapping answer hangs. While it hangs, the server is killed with SIGKILL and
started again on the same SQLite file; continuing the thread finishes the run. The model
server's request log is the witness: the planner, OCR and GUI calls were made once, so
nothing that had finished ran twice.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLES, free_port
from tests.loopback_vllm import LoopbackVLLM, Reply, last_text
from tests.model.test_graph_vllm_loopback import REQUEST, qwen3_vl

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]


def _kind(body: dict[str, Any]) -> str:
    """Which call a model request is: planner, OCR, GUI or data (mapping)."""
    if "planner of vlcrew" in body["messages"][0]["content"]:
        return "planner"
    return last_text(body).split(".")[0].removeprefix("Task: ").split()[0]


class Server:
    """``vlcrew serve`` as a child process on a fixed port and database."""

    def __init__(self, port: int, db: Path, model_url: str, data_dir: Path) -> None:
        self.port, self.db, self.log = port, db, data_dir / "serve.log"
        self.env = {**os.environ, "VLCREW_BASE_URL": model_url, "VLCREW_BACKEND": "vllm",
                    "VLCREW_DATA_DIR": str(data_dir), "VLCREW_APPROVE": "auto"}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
                 "--db", str(self.db)], cwd=ROOT, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"server did not start:\n{self.log.read_text()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        """The install's token (made at the first start in the data dir) and JSON."""
        token = (Path(self.env["VLCREW_DATA_DIR"]) / "server_token").read_text().strip()
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


def events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    event = "message"
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            yield event, json.loads(line[6:])


@pytest.mark.slow
def test_sigkill_mid_run_then_continue_finishes_without_rerunning_steps(tmp_path: Path) -> None:
    hang_once = {"done": False}

    def responder(body: dict[str, Any]) -> Reply:
        reply = qwen3_vl(body)
        if _kind(body) == "data" and not hang_once["done"]:
            hang_once["done"] = True
            reply.delay = 30.0  # the server is killed while it waits for this answer
        return reply

    png = base64.b64encode((EXAMPLES / "bank_account_zh.png").read_bytes()).decode()
    with LoopbackVLLM(responder=responder) as model:
        server = Server(free_port(), tmp_path / "threads.sqlite", model.base_url, tmp_path)
        try:
            server.start()
            seen: list[tuple[str, Any]] = []
            with httpx.Client(base_url=server.url, timeout=60,
                              headers=server.headers) as client, client.stream(
                    "POST", "/api/runs", json={"request": REQUEST,
                                               "images": [f"data:image/png;base64,{png}"]}
            ) as response, pytest.raises(httpx.HTTPError):
                # Read until the mapping call hangs, then kill: the stream breaks off.
                for event, data in events(response):
                    seen.append((event, data))
                    if event == "step" and data["agent"] == "data_mapping":
                        deadline = time.monotonic() + 20
                        while not any(_kind(r) == "data" for r in model.requests):
                            assert time.monotonic() < deadline, "mapping was never asked"
                            time.sleep(0.05)
                        server.kill()
            thread_id = next(d["thread_id"] for e, d in seen if e == "thread")
            done_before = {d["agent"] for e, d in seen if e == "step" and d["status"] == "done"}
            assert done_before == {"ocr", "gui"}
            assert [_kind(r) for r in model.requests].count("data") == 1

            server.start()  # same port, same database
            with httpx.Client(base_url=server.url, timeout=60, headers=server.headers) as client:
                state = client.get(f"/api/threads/{thread_id}").json()
                assert state["status"] == "unfinished" and state["next"] == ["data_mapping"]
                with client.stream("POST", f"/api/threads/{thread_id}/continue") as response:
                    assert response.status_code == 200
                    resumed = list(events(response))
                final = client.get(f"/api/threads/{thread_id}").json()
        finally:
            server.kill()
        calls = [_kind(r) for r in model.requests]

    ran = [d["agent"] for e, d in resumed if e == "step" and d["status"] == "started"]
    assert ran == ["data_mapping", "feedback"], ran
    assert resumed[-1] == ("end", {"status": "done"})
    # The model's log: every finished call once; only the killed mapping call twice.
    assert sorted(calls) == sorted(["planner", "OCR", "GUI", "data", "data"])
    answer = final["answer"]
    assert final["status"] == "idle" and answer["backend"] == "vllm"
    values = {f["label"]: f["value"] for f in answer["fields"]}
    assert values["姓名"] == "张三" and values["手机号码"] == "13812345678"
    assert {p["agent"]: p["status"] for p in answer["plan"]} == {
        "ocr": "done", "gui": "done", "data_mapping": "done", "feedback": "done"}
