"""Load benchmark of the OpenAI-compatible endpoint: N concurrent form fills over HTTP.

The app (``server.openai_api.build_app`` over the real graph) is served by uvicorn on
127.0.0.1 in a thread and driven with ``httpx.AsyncClient``: N non-streaming chat
completions at once, each the shipped bank form (``examples/bank_account_zh.png``) with its
request (``.request.txt``) as a data URI. Two modes:

- ``offline``: the offline engine (rapidocr + OpenCV), pure CPU;
- ``vllm``: the vllm backend against a loopback model server (``tests/loopback_vllm.py``,
  real HTTP, in a process of its own) answering with the scripted Qwen3-VL replies of
  ``tests/model/test_graph_vllm_loopback.py`` after ``--latency`` seconds per call.

Each fill sends its own screenshot (invisible marks, so a new sha256) unless
``--same-image``: the response cache would otherwise answer fills after the first with no
model call. Per mode and N it prints the batch's wall time, fills/s, p50/p95 latency, CPU
seconds per fill of this process, how late a 5 ms timer on the server's event loop ran in
total ("loop late": CPU work on the loop, or waiting for the GIL) and at worst, model calls
and image encodes per fill, the cores this process and other processes used. For ``vllm``:
time(N=max) / time(N=1) against the target ≤ 1.5× (model latency overlaps across
requests when nothing serialises them), and the CPU floor N × CPU-per-fill / cores that no
ratio can beat on this machine.

``--profile`` samples the server loop's thread (``sys._current_frames``, every 5 ms) and
prints where it is busy: repository code running on the event loop instead of a worker
thread.

    python -m bench.serve_load                        # both modes, N = 1 8 32, 0.5 s/call
    python -m bench.serve_load --modes vllm --n 1 32 --rounds 2 --profile
    python -m bench.serve_load --modes vllm --latency 2 --n 1 32   # slower model calls
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import dataclasses
import io
import json
import math
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "bank_account_zh.png"
REQUEST = (ROOT / "examples" / "bank_account_zh.request.txt").read_text(encoding="utf-8").strip()
TARGET_RATIO = 1.5


# -- the server under test ------------------------------------------------------------------


class LoopProbe:
    """Runs on the server's loop: how long the loop could not run a 5 ms timer on time."""

    def __init__(self) -> None:
        self.blocked = 0.0
        self.worst = 0.0
        self.thread_id: int | None = None

    def reset(self) -> None:
        self.blocked = self.worst = 0.0

    async def run(self) -> None:
        self.thread_id = threading.get_ident()
        tick = 0.005
        while True:
            start = time.perf_counter()
            await asyncio.sleep(tick)
            late = time.perf_counter() - start - tick
            if late > 0.002:  # scheduler noise below this
                self.blocked += late
                self.worst = max(self.worst, late)


class LoopSampler:
    """Samples the stack of the loop's thread; counts the repository frames it is busy in."""

    def __init__(self, thread_id: int, interval: float = 0.005) -> None:
        self.thread_id, self.interval = thread_id, interval
        self.busy: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            frame = sys._current_frames().get(self.thread_id)
            if frame is None:
                continue
            self.samples += 1
            stack = []
            while frame is not None:
                stack.append(frame)
                frame = frame.f_back
            if any(f.f_code.co_name in ("select", "poll") and "selectors" in f.f_code.co_filename
                   for f in stack[:2]):
                continue  # idle: waiting for I/O
            ours = [f"{Path(f.f_code.co_filename).relative_to(ROOT)}:{f.f_code.co_name}"
                    for f in stack if f.f_code.co_filename.startswith(str(ROOT))
                    and ".venv" not in f.f_code.co_filename
                    and "bench/serve_load" not in f.f_code.co_filename]
            top = stack[0].f_code
            where = " ← ".join(ours[:2]) if ours else "(library)"
            self.busy[f"{Path(top.co_filename).name}:{top.co_name} in {where}"] += 1

    def __enter__(self) -> LoopSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextlib.contextmanager
def serve(graph: Any, ctx: Any) -> Iterator[tuple[str, LoopProbe]]:
    """``build_app(graph, ctx)`` under uvicorn on a free loopback port, with a loop probe."""
    import uvicorn

    from server.openai_api import build_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(graph, ctx), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    probe = LoopProbe()

    async def main() -> None:
        task = asyncio.create_task(probe.run())
        await server.serve()
        task.cancel()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    while not server.started or probe.thread_id is None:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", probe
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# -- the load ---------------------------------------------------------------------------------


class Screens:
    """Copies of the example screenshot, each with its own invisible mark, as data URIs."""

    def __init__(self, same: bool) -> None:
        from PIL import Image

        self.same = same
        self.base = Image.open(EXAMPLE).convert("RGB")
        self.count = 0
        self.first = self._uri(self.base)

    @staticmethod
    def _uri(image: Any) -> str:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()

    def next(self) -> str:
        if self.same:
            return self.first
        import numpy as np
        from PIL import Image

        self.count += 1
        pixels = np.array(self.base)
        # The fill number in binary as 32×32 blocks one level off in the red channel of the
        # top-left corner: invisible to OCR and layout, yet still there after the planner's
        # downscale (a single pixel would vanish and the planner's answer come from cache).
        for bit in range(12):
            if self.count >> bit & 1:
                pixels[:32, 32 * bit:32 * bit + 32, 0] ^= 1
        return self._uri(Image.fromarray(pixels))


@dataclasses.dataclass
class Batch:
    """One batch of N concurrent fills."""

    mode: str
    n: int
    wall: float
    latencies: list[float]
    errors: list[str]
    cpu: float
    """CPU seconds per fill of this process: the server, its worker threads, the driver."""
    blocked: float
    """Seconds a 5 ms timer on the server's loop ran late, summed (loop busy or GIL held)."""
    worst_block: float
    calls: int
    """Requests the loopback model server received."""
    encodes: int
    """Screenshots encoded for the model (misses of the data-URI cache)."""
    others: float
    """Cores other processes (the model server among them) used meanwhile, /proc/stat."""

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (0 where /proc/stat is missing)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(f) for f in fields]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


async def _fill(client: Any, url: str, image: str, mode: str) -> tuple[float, str | None]:
    start = time.perf_counter()
    resp = await client.post(url, json={"model": "vlcrew", "messages": [{"role": "user",
                             "content": [{"type": "text", "text": REQUEST},
                                         {"type": "image_url", "image_url": {"url": image}}]}]})
    took = time.perf_counter() - start
    if resp.status_code != 200:
        return took, f"HTTP {resp.status_code}: {resp.text[:200]}"
    answer = json.loads(resp.json()["choices"][0]["message"]["content"])
    fields = answer.get("fields", [])
    if answer.get("backend") != mode or len(fields) < 8:
        return took, (f"unexpected answer: backend={answer.get('backend')} "
                      f"fields={len(fields)} errors={answer.get('errors')}")
    return took, None


async def _batch(base_url: str, images: list[str], mode: str
                 ) -> tuple[float, list[float], list[str]]:
    import httpx

    limits = httpx.Limits(max_connections=len(images) + 4)
    async with httpx.AsyncClient(timeout=900, limits=limits) as client:
        url = f"{base_url}/v1/chat/completions"
        start = time.perf_counter()
        done = await asyncio.gather(*(_fill(client, url, im, mode) for im in images))
        wall = time.perf_counter() - start
    return wall, [t for t, _ in done], [e for _, e in done if e]


def _model_server(latency: float, conn: Any, calls: Any) -> None:
    """Child process: the loopback vLLM with the scripted Qwen3-VL, until told to stop."""
    import http.server

    sys.path.insert(0, str(ROOT))
    from tests.loopback_vllm import LoopbackVLLM, Reply

    # vLLM's (uvicorn's) accept backlog; socketserver's 5 resets connections under load.
    http.server.ThreadingHTTPServer.request_queue_size = 2048
    from tests.model.test_graph_vllm_loopback import qwen3_vl

    server = LoopbackVLLM()

    def scripted(body: dict[str, Any]) -> Reply:
        with calls.get_lock():
            calls.value += 1
        server.requests.clear()  # bodies hold megabytes of data URIs; nobody reads them here
        return dataclasses.replace(qwen3_vl(body), delay=latency)

    server.responder = scripted
    with server:
        conn.send(server.base_url)
        conn.recv()


@contextlib.contextmanager
def model_server(latency: float) -> Iterator[tuple[str, Any]]:
    """The loopback model server in its own process, so its CPU (parsing 150 kB request
    bodies, answering) and its threads are not counted against, or compete with, vlcrew's.
    Yields its base URL and a shared counter of chat requests."""
    import multiprocessing

    mp = multiprocessing.get_context("spawn")
    calls = mp.Value("i", 0)
    parent, child = mp.Pipe()
    proc = mp.Process(target=_model_server, args=(latency, child, calls), daemon=True)
    proc.start()
    try:
        if not parent.poll(120):
            raise SystemExit("the loopback model server did not start")
        yield parent.recv(), calls
    finally:
        parent.send("stop")
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()


def run_mode(mode: str, sizes: list[int], rounds: int, latency: float, screens: Screens,
             graph: Any, profile: bool) -> tuple[list[Batch], LoopSampler | None]:
    """Warm up once, then ``rounds`` batches of each size in ``sizes``."""
    from agents.context import Context
    from agents.llm import image_parts

    batches, sampler = [], None
    with contextlib.ExitStack() as stack:
        calls = None
        if mode == "vllm":
            url, calls = stack.enter_context(model_server(latency))
            ctx = Context(backend="vllm", base_url=url, out_dir="",
                          planner_model="qwen3-vl-thinking", expert_model="qwen3-vl-instruct")
        else:
            ctx = Context(backend="offline", out_dir="")
        base_url, probe = stack.enter_context(serve(graph, ctx))
        _, _, errors = asyncio.run(_batch(base_url, [screens.next()], mode))  # warm-up
        if errors:
            raise SystemExit(f"{mode}: the warm-up fill failed: {errors[0]}")
        if profile:
            assert probe.thread_id is not None
            sampler = stack.enter_context(LoopSampler(probe.thread_id))
        for n in sizes:
            for _ in range(rounds):
                images = [screens.next() for _ in range(n)]
                probe.reset()
                misses = image_parts._png_data_uri.cache_info().misses
                sent = calls.value if calls is not None else 0
                cpu, busy = time.process_time(), _machine_busy()
                wall, latencies, errors = asyncio.run(_batch(base_url, images, mode))
                cpu, busy = time.process_time() - cpu, _machine_busy() - busy
                batches.append(Batch(
                    mode, n, wall, latencies, errors, cpu / n, probe.blocked, probe.worst,
                    calls.value - sent if calls is not None else 0,
                    image_parts._png_data_uri.cache_info().misses - misses,
                    max(0.0, busy - cpu) / wall))
                print(f"  {mode} N={n}: {wall:.2f} s, {len(errors)} error(s)", file=sys.stderr)
    return batches, sampler


# -- the report -------------------------------------------------------------------------------


def report(batches: list[Batch], latency: float, samplers: dict[str, LoopSampler]) -> None:
    cores = os.cpu_count() or 1
    print(f"{'mode':8} {'N':>3} {'wall s':>7} {'fills/s':>8} {'p50 s':>6} {'p95 s':>6} "
          f"{'cpu s/fill':>10} {'loop late':>12} {'worst s':>7} {'calls/fill':>10} "
          f"{'encodes/fill':>12} {'our cores':>9} {'others':>6} errors")
    for b in batches:
        print(f"{b.mode:8} {b.n:>3} {b.wall:>7.2f} {b.n / b.wall:>8.2f} {b.pct(0.5):>6.2f} "
              f"{b.pct(0.95):>6.2f} {b.cpu:>10.2f} {b.blocked / b.wall:>12.0%} "
              f"{b.worst_block:>7.2f} {b.calls / b.n:>10.1f} {b.encodes / b.n:>12.1f} "
              f"{b.cpu * b.n / b.wall:>9.2f} {b.others:>6.2f} {len(b.errors)}")
        for e in b.errors[:3]:
            print(f"    error: {e}")
    vllm = [b for b in batches if b.mode == "vllm"]
    sizes = sorted({b.n for b in vllm})
    if len(sizes) > 1 and sizes[0] == 1:
        def median(n: int, what: str) -> float:
            return statistics.median(getattr(b, what) for b in vllm if b.n == n)

        one, big = median(1, "wall"), sizes[-1]
        ratio = median(big, "wall") / one
        cpu = median(big, "cpu")
        free = max(0.1, cores - median(big, "others"))  # what other processes left us
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        print(f"\nvllm: time(N={big}) / time(N=1) = {median(big, 'wall'):.2f} / {one:.2f} s = "
              f"{ratio:.2f}x: {verdict} the target <= {TARGET_RATIO}x "
              f"({latency:g} s per model call)")
        print(f"      CPU floor: {big} fills x {cpu:.2f} CPU s = {big * cpu:.1f} CPU s; on "
              f"{cores} idle core(s) {big * cpu / cores:.2f} s (ratio >= "
              f"{max(1.0, big * cpu / cores / one):.2f}x), on the {free:.2f} core(s) other "
              f"processes left {big * cpu / free:.2f} s (ratio >= "
              f"{max(1.0, big * cpu / free / one):.2f}x)")
    for mode, sampler in samplers.items():
        if not sampler.samples:
            continue
        busy = sum(sampler.busy.values())
        print(f"\n{mode}: the server loop's thread was busy in {busy / sampler.samples:.0%} of "
              f"{sampler.samples} samples (5 ms); innermost frame in repository function "
              "← its caller:")
        for where, count in sampler.busy.most_common(12):
            print(f"  {count / sampler.samples:6.1%}  {where}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_load",
                                     description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--n", type=int, nargs="+", default=[1, 8, 32],
                        help="concurrent fills per batch (default 1 8 32)")
    parser.add_argument("--modes", nargs="+", choices=["offline", "vllm"],
                        default=["offline", "vllm"], help="backends (default both)")
    parser.add_argument("--latency", type=float, default=0.5,
                        help="seconds the loopback model takes per call (default 0.5)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="batches per N; figures are per batch, the ratio uses medians")
    parser.add_argument("--same-image", action="store_true",
                        help="send the same screenshot every time (the response cache then "
                             "spares model calls after the first batch)")
    parser.add_argument("--profile", action="store_true",
                        help="sample the server loop's thread and print where it is busy")
    args = parser.parse_args(argv)
    if min(args.n) < 1 or args.rounds < 1 or args.latency < 0:
        parser.error("--n and --rounds must be >= 1, --latency >= 0")

    sys.path.insert(0, str(ROOT))  # tests.loopback_vllm and the scripted responder
    # A private data dir: stored screenshots, overlays and scripts of the fills go there.
    data_dir = tempfile.mkdtemp(prefix="vlcrew-serve-load-")
    os.environ["VLCREW_DATA_DIR"] = data_dir
    from graph.builder import graph
    screens = Screens(args.same_image)
    batches: list[Batch] = []
    samplers: dict[str, LoopSampler] = {}
    for mode in args.modes:
        done, sampler = run_mode(mode, sorted(args.n), args.rounds, args.latency, screens,
                                 graph, args.profile)
        batches += done
        if sampler is not None:
            samplers[mode] = sampler
    screenshots = "one screenshot" if args.same_image else "a new screenshot per fill"
    print(f"\n{EXAMPLE.name}, {screenshots}, {os.cpu_count()} core(s), "
          f"data in {data_dir}")
    report(batches, args.latency, samplers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
