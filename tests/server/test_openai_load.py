"""What keeps concurrent requests on the OpenAI endpoint from waiting on each other.

Found with ``bench/serve_load.py``: encoding the screenshot for the model (decode, resize,
PNG) ran on the event loop and stalled every other request; the OCR and GUI experts encoded
the same image twice at the same moment. These tests pin the fixes: the async helpers
encode in a worker thread while the loop keeps ticking, one thread per image encodes, and
the model client does not queue calls the model server could be batching, and the
benchmark's command line answers ``--help``.
"""

from __future__ import annotations

import asyncio
import http.server
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agents.llm import image_parts
from agents.llm.chat_model import build_chat_model
from agents.llm.image_parts import aimage_part, image_part
from tests.conftest import ROOT
from tests.loopback_vllm import LoopbackVLLM, Reply


def noisy_png(path: Path, size: int) -> str:
    """A PNG that is slow to re-encode (noise does not compress)."""
    rng = np.random.default_rng(7)
    Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)
    return str(path)


def test_encoding_for_the_model_does_not_stall_the_event_loop(tmp_path: Path) -> None:
    path = noisy_png(tmp_path / "big.png", 2400)

    async def go() -> tuple[float, float]:
        worst = 0.0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal worst
            while not done.is_set():
                start = time.perf_counter()
                await asyncio.sleep(0.005)
                worst = max(worst, time.perf_counter() - start - 0.005)

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)  # the ticker is waiting on its timer now
        start = time.perf_counter()
        await aimage_part(path, (2208, 2208))  # a resize and a 15 MB PNG encode
        took = time.perf_counter() - start
        done.set()
        await tick
        return took, worst

    took, worst = asyncio.run(go())
    # On the loop, the ticker would be late by the whole encode; in a thread, by at most a
    # GIL hand-over or two.
    assert worst < max(0.15, took / 3), (took, worst)


def test_one_thread_encodes_an_image_the_others_wait_for_it(tmp_path: Path) -> None:
    path = noisy_png(tmp_path / "form.png", 900)
    before = image_parts._png_data_uri.cache_info().misses
    urls: list[str] = []
    gate = threading.Barrier(4)

    def ask() -> None:
        gate.wait()  # all four ask at the same moment, like OCR and GUI on one screenshot
        urls.append(image_part(path, (864, 864))["image_url"]["url"])

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(urls) == 4 and len(set(urls)) == 1
    assert image_parts._png_data_uri.cache_info().misses - before == 1
    assert not image_parts._uri_locks  # no lock left behind per image


@pytest.mark.server
def test_the_model_client_sends_every_concurrent_call_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # 48 fills under load = 96 OCR and GUI calls in flight. vLLM batches whatever arrives;
    # a connection pool smaller than that would queue them in the client, out of sight.
    # (The stand-in server gets vLLM's accept backlog: socketserver's default is 5.)
    monkeypatch.setattr(http.server.ThreadingHTTPServer, "request_queue_size", 2048)
    active = peak = 0
    lock = threading.Lock()

    def slow(body: dict) -> Reply:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.3)
        with lock:
            active -= 1
        return Reply(content="ok")

    with LoopbackVLLM(responder=slow) as server:
        model = build_chat_model(base_url=server.base_url, api_key="", model="m",
                                 thinking=False, max_retries=0)

        async def go() -> list[object]:
            return await asyncio.gather(*(model.ainvoke("hi") for _ in range(96)))

        replies = asyncio.run(go())
    assert len(replies) == 96 and peak == 96


def test_the_load_benchmark_explains_itself() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.serve_load", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert "--latency" in out and "--profile" in out and "1.5" in out
