"""Harness that runs the real ``langgraph dev`` server on ``langgraph.json``, offline.

Used as a pytest plugin (``pytest_plugins = ["tests.server.langgraph_dev_server"]``): it provides the
module-scoped ``langgraph_dev`` fixture and appends the server's log to the report of any
test that used it and failed. The server is started the way a developer starts it for
Studio, with only what keeps it off the network: no analytics, no version check, no
LangSmith tracing, the offline backend and a private data dir.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
LANGGRAPH = Path(sys.executable).parent / "langgraph"
READY_TIMEOUT = 120.0  # cold start is ~2 s; generous because 2 cores are shared
LOG_TAIL_CHARS = 20_000

# Inherited settings that would send the server elsewhere or change what it runs.
_DROP_PREFIXES = ("VLCREW_", "LANGSMITH_", "LANGCHAIN_", "LANGGRAPH_", "OPENAI_")


def offline_env(data_dir: Path) -> dict[str, str]:
    """The environment for ``langgraph dev``: loopback only, offline engine, private data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES)}
    env.update(
        LANGGRAPH_CLI_NO_ANALYTICS="1",  # the CLI otherwise posts usage to Supabase
        LANGGRAPH_NO_VERSION_CHECK="true",  # langgraph_api otherwise asks pypi.org
        LANGSMITH_TRACING="false",
        LANGCHAIN_TRACING_V2="false",
        VLCREW_BACKEND="offline",
        VLCREW_DATA_DIR=str(data_dir),
        # backend "auto" (a run may ask for it) probes a closed loopback port: offline at once.
        VLCREW_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class LangGraphDev:
    """A running ``langgraph dev`` and where its log goes."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    started_in: float = 0.0

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def token(self) -> str:
        """The token vlcrew's mounted routes want (made at start in the private data dir)."""
        return (self.log_path.parent / "data" / "server_token").read_text().strip()

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        text = self.log()
        return text if len(text) <= chars else "…\n" + text[-chars:]

    def stop(self) -> None:
        """End the whole process group (the CLI, uvicorn and any worker it spawned)."""
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # A child that outlived the leader still belongs to the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def private_config(workdir: Path) -> Path:
    """``langgraph.json`` with its paths made absolute, to run from a private directory.

    The server keeps threads in ``.langgraph_api/`` of its working directory and reloads them
    at start: in the repo that file grows with every test session and is shared with any
    other ``langgraph dev`` running there. The shipped paths are resolved, not rewritten by
    hand, so a wrong path in ``langgraph.json`` still fails here.
    """
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))

    def absolute(spec: str) -> str:
        path, _, attr = spec.partition(":")
        resolved = (ROOT / path).resolve()
        assert resolved.exists(), f"langgraph.json points at a missing file: {spec}"
        return f"{resolved}:{attr}" if attr else str(resolved)

    config["dependencies"] = [absolute(d) if d.startswith(".") else d
                              for d in config["dependencies"]]
    config["graphs"] = {name: absolute(spec) for name, spec in config["graphs"].items()}
    if "app" in config.get("http", {}):
        config["http"]["app"] = absolute(config["http"]["app"])
    path = workdir / "langgraph.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def start(workdir: Path, *, extra_args: list[str] | None = None) -> LangGraphDev:
    """Start ``langgraph dev`` on a free port and wait until ``GET /ok`` answers.

    ``--no-reload``: other work edits the sources while tests run, and a reload would drop
    runs mid-test.
    """
    port = free_port()
    log_path = workdir / "langgraph-dev.log"
    cmd = [str(LANGGRAPH), "dev", "--no-browser", "--no-reload", "--port", str(port),
           "--config", str(private_config(workdir)), *(extra_args or [])]
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, cwd=workdir, env=offline_env(workdir / "data"),
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)  # own process group to kill
    server = LangGraphDev(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    deadline = started + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"langgraph dev exited with {process.returncode}:\n"
                               f"{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/ok", timeout=2) as resp:
                if resp.status == 200:
                    server.started_in = time.monotonic() - started
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"langgraph dev not ready in {READY_TIMEOUT:.0f}s:\n{server.log_tail()}")


@pytest.fixture(scope="module")
def langgraph_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LangGraphDev]:
    """One ``langgraph dev`` per test module, always stopped at teardown."""
    if not LANGGRAPH.exists():
        pytest.skip(f"the langgraph CLI is not installed ({LANGGRAPH}); "
                    "pip install 'langgraph-cli[inmem]'")
    extra = os.environ.get("VLCREW_TEST_LANGGRAPH_DEV_ARGS", "").split()  # e.g. --allow-blocking
    server = start(tmp_path_factory.mktemp("langgraph-dev"), extra_args=extra)
    try:
        yield server
    finally:
        server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Show the server's log under a failed test that used it."""
    outcome = yield
    report = outcome.get_result()
    server = getattr(item, "funcargs", {}).get("langgraph_dev")
    if report.failed and isinstance(server, LangGraphDev):
        report.sections.append(("langgraph dev log", server.log_tail()))
