"""Model calls and prompt tokens for one form fill: vlcrew versus a sequential dispatcher.

vlcrew's requests are the ones it really sends (recorded by the loopback vLLM server while
the whole graph runs on the bank example). The sequential design is the reference
article's: a router call, then OCR, GUI, mapping and feedback experts one after another,
each with its own system prompt before the image. Prefix caching is modelled as vLLM does
it: a request reuses the longest prefix it shares with an earlier request to the same model.

Image tokens are exact for Qwen3-VL (one per 32×32 px plus the two vision markers); text
tokens are an estimate (one per CJK character, one per 4 other characters), the same
estimate for both designs.

    python -m bench.model_calls
"""

from __future__ import annotations

import asyncio
import math
import re
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import HumanMessage

from agents.context import Context
from agents.prompts import EXPERT_SYSTEM, GUI_INSTRUCTION, OCR_INSTRUCTION
from graph.builder import graph
from tests.loopback_vllm import LoopbackVLLM, image_sizes
from tests.model.test_graph_vllm_loopback import EXAMPLES, NAME, REQUEST, qwen3_vl
from tools.common.images import model_input_size, visual_tokens

MAX_PIXELS = 1_310_720
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def text_tokens(text: str) -> int:
    """Estimated tokens of ``text`` (CJK one each, other characters four per token)."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


@dataclass
class Call:
    """One request as a sequence of (segment id, tokens): the prefix cache's view of it."""

    model: str
    segments: list[tuple[str, int]]
    stage: int

    @property
    def tokens(self) -> int:
        return sum(n for _, n in self.segments)

    def image_tokens(self) -> int:
        return sum(n for s, n in self.segments if s.startswith("image:"))


def _segments(body: dict[str, Any]) -> list[tuple[str, int]]:
    segs: list[tuple[str, int]] = []
    sizes = iter(image_sizes(body))
    for msg in body["messages"]:
        content = msg["content"]
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for part in parts:
            if part["type"] == "text":
                segs.append((f"text:{part['text']}", text_tokens(part["text"]) + 4))
            else:
                w, h = next(sizes)
                segs.append((f"image:{part['image_url']['url'][-64:]}",
                             visual_tokens(w, h) + 2))
    return segs


def cached_tokens(calls: list[Call]) -> tuple[int, int]:
    """(prompt tokens to prefill after prefix caching, tokens served from the cache).

    Conservative for parallel calls: requests of one stage arrive together, so they reuse
    only what earlier stages left in the cache, not each other's prefill.
    """
    seen: dict[str, list[list[str]]] = {}
    prefill = reused = 0
    for stage in sorted({c.stage for c in calls}):
        this = [c for c in calls if c.stage == stage]
        for call in this:
            best = 0
            for earlier in seen.get(call.model, []):
                k = 0
                while k < min(len(earlier), len(call.segments)) and \
                        earlier[k] == call.segments[k][0]:
                    k += 1
                best = max(best, sum(n for _, n in call.segments[:k]))
            prefill += call.tokens - best
            reused += best
        for call in this:
            seen.setdefault(call.model, []).append([s for s, _ in call.segments])
    return prefill, reused


async def vlcrew_calls() -> list[Call]:
    """The requests the real graph sends, in stages (parallel calls share a stage)."""
    parts = [{"type": "text", "text": REQUEST},
             {"type": "image_url", "image_url": {"url": str(EXAMPLES / f"{NAME}.png")}}]
    with LoopbackVLLM(responder=qwen3_vl) as server, tempfile.TemporaryDirectory() as out:
        ctx = Context(backend="vllm", base_url=server.base_url, max_pixels=MAX_PIXELS,
                      planner_model="thinking", expert_model="instruct", out_dir=out)
        await graph.ainvoke({"messages": [HumanMessage(content=parts)]}, context=ctx)
        bodies = list(server.requests)
    stage = {"planner": 0, "OCR": 1, "GUI": 1, "data mapping": 2}
    calls = []
    for body in bodies:
        last = next(p["text"] for p in reversed(body["messages"][-1]["content"])
                    if p["type"] == "text")
        kind = next((k for k in stage if f"Task: {k}" in last), "planner")
        calls.append(Call(body["model"], _segments(body), stage[kind]))
    return calls


def sequential_calls(image_tokens: int, mapping_text: str) -> list[Call]:
    """The reference design: route, then each expert in turn, its own prompt before the image."""
    img = ("image:form", image_tokens)

    def call(system: str, instruction: str, stage: int) -> Call:
        return Call("instruct", [(f"text:{system}", text_tokens(system) + 4), img,
                                 (f"text:{instruction}", text_tokens(instruction) + 4)], stage)

    return [
        call("You are a router. Pick the expert for the request.", REQUEST, 0),
        call("You are an OCR expert. " + EXPERT_SYSTEM, OCR_INSTRUCTION, 1),
        call("You are a GUI expert. " + EXPERT_SYSTEM, GUI_INSTRUCTION, 2),
        call("You are a data-mapping expert. " + EXPERT_SYSTEM, mapping_text, 3),
        call("You are a feedback expert. Check the filled fields.", mapping_text, 4),
    ]


def main() -> int:
    ours = asyncio.run(vlcrew_calls())
    w, h = model_input_size(1000, 1190, MAX_PIXELS)
    mapping = next(c for c in ours if c.stage == 2)
    mapping_text = next(s for s, _ in reversed(mapping.segments))[5:]
    theirs = sequential_calls(visual_tokens(w, h) + 2, mapping_text)
    rows = []
    for name, calls in (("vlcrew", ours), ("sequential", theirs)):
        prefill, reused = cached_tokens(calls)
        rows.append((name, len({c.stage for c in calls}), len(calls),
                     sum(c.tokens for c in calls), sum(c.image_tokens() for c in calls),
                     reused, prefill))
    head = ("design", "critical-path calls", "total calls", "prompt tokens", "image tokens",
            "shared-prefix tokens", "prefill after caching")
    print(" | ".join(head))
    for row in rows:
        print(" | ".join(str(v) for v in row))
    saving = 1 - rows[0][6] / rows[1][6]
    print(f"prompt tokens to prefill after prefix caching: vlcrew {rows[0][6]} vs sequential "
          f"{rows[1][6]} ({saving:.0%} fewer); image {w}×{h} = {visual_tokens(w, h)} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
