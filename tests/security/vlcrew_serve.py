"""Harness: ``vlcrew serve`` as a real child process on a free 127.0.0.1 port, offline.

``start_serve(tmp)`` runs ``python -m server.cli serve`` with a private data dir and SQLite
file, waits for ``/healthz`` and reads the ready-to-open URL (with the install's token) the
command prints; ``Serve.token`` is that token (``None`` if none was printed) and
``Serve.auth`` the matching ``Authorization`` header. Use it as a context manager (or call
``stop()``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
_TOKEN_URL = re.compile(r"(http://\S+/\?token=([A-Za-z0-9_\-]+))")


@dataclass
class Serve:
    """A running ``vlcrew serve`` and what it printed."""

    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log_path: Path
    token: str | None = None
    open_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> Serve:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_serve(tmp: Path, *args: str, env: dict[str, str] | None = None) -> Serve:
    """Start ``vlcrew serve`` (extra CLI ``args``) and wait until it answers."""
    port = free_port()
    data_dir = tmp / "data"
    log_path = tmp / "serve.log"
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("VLCREW_")}
    run_env.update(VLCREW_DATA_DIR=str(data_dir), VLCREW_BACKEND="offline",
                   NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
                   PYTHONUNBUFFERED="1", **(env or {}))
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port),
             "--db", str(tmp / "threads.sqlite"), *args],
            cwd=tmp, env={**run_env, "PYTHONPATH": str(ROOT)}, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = Serve(process=process, url=f"http://127.0.0.1:{port}", data_dir=data_dir,
                   log_path=log_path)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vlcrew serve exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                found = _TOKEN_URL.search(server.log())
                if found:
                    server.open_url, server.token = found.group(1), found.group(2)
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"vlcrew serve not ready in {READY_TIMEOUT:.0f}s:\n{server.log()}")
