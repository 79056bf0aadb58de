#!/usr/bin/env python
"""Protocol smoke test against a real vLLM server serving the tiny Qwen3-VL model.

    <vllm-venv>/bin/python tests/realvllm/smoke.py BASE_URL [--model NAME] [--json OUT.json]

BASE_URL is e.g. http://127.0.0.1:18311 (with or without /v1). Plain HTTP (httpx), so
exact field names are what is checked. Prints one `PASS|FAIL|INFO name: value` line per
observation, then `N passed, N failed`; exits 1 if any check failed. --json writes the facts to a file.
The model is random, so checks are about the protocol (fields, status codes, JSON validity),
never about what the text says. Token ids come from the server's /tokenize endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import sys
import time
from typing import Any

import httpx

THINK_END = "</think>"
TOOL_CALL = "<tool_call>"


class Smoke:
    def __init__(self, base: str, model: str) -> None:
        base = base.rstrip("/")
        self.root = base[: -len("/v1")] if base.endswith("/v1") else base
        self.model = model
        self.client = httpx.Client(base_url=self.root, timeout=120.0)
        self.facts: dict[str, Any] = {}
        self.passed = 0
        self.failed = 0
        self.latencies: list[float] = []

    # -- helpers ---------------------------------------------------------------------------
    def fact(self, name: str, value: Any, ok: bool | None = None) -> None:
        """Record an observation; ok=None is information only, True/False is a check."""
        self.facts[name] = value
        shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        if len(shown) > 240:
            shown = shown[:240] + "…"
        tag = {None: "INFO", True: "PASS", False: "FAIL"}[ok]
        print(f"{tag} {name}: {shown}", flush=True)
        if ok is True:
            self.passed += 1
        elif ok is False:
            self.failed += 1

    def chat(self, **body: Any) -> tuple[int, dict]:
        body.setdefault("model", self.model)
        t0 = time.perf_counter()
        r = self.client.post("/v1/chat/completions", json=body)
        self.latencies.append(time.perf_counter() - t0)
        try:
            data = r.json()
        except ValueError:
            data = {"raw": r.text}
        return r.status_code, data

    def token_id(self, text: str) -> int:
        r = self.client.post("/tokenize", json={"model": self.model, "prompt": text, "add_special_tokens": False})
        r.raise_for_status()
        toks = r.json()["tokens"]
        if len(toks) != 1:
            raise RuntimeError(f"{text!r} is not a single token: {toks}")
        return toks[0]

    @staticmethod
    def png_data_uri(w: int = 320, h: int = 240, seed: int = 0) -> str:
        from PIL import Image, ImageDraw

        img = Image.new("RGB", (w, h), (250, 250, 245))
        d = ImageDraw.Draw(img)
        d.rectangle([20, 30, 300, 70], outline=(0, 0, 0), width=2)
        d.text((28, 42), f"Name: ______ {seed}", fill=(0, 0, 0))
        d.rectangle([20, 100, 140, 140], fill=(40, 90, 200))
        d.text((40, 112), "Submit", fill=(255, 255, 255))
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()

    def image_msg(self, n: int, text: str = "Describe the image.") -> list[dict]:
        parts: list[dict] = [{"type": "image_url", "image_url": {"url": self.png_data_uri(seed=i)}} for i in range(n)]
        parts.append({"type": "text", "text": text})
        return [{"role": "user", "content": parts}]

    # -- checks ----------------------------------------------------------------------------
    def run(self) -> None:
        t0 = time.perf_counter()
        r = self.client.get("/v1/models")
        ids = [m["id"] for m in r.json().get("data", [])]
        self.fact("models.data[].id", ids, r.status_code == 200 and self.model in ids)
        r = self.client.get("/version")
        if r.status_code == 200:
            self.fact("server.version", r.json().get("version"))

        think_end = self.token_id(THINK_END)
        tool_call = self.token_id(TOOL_CALL)
        self.fact("token_id(</think>)", think_end)
        # Keeps a random model inside its reasoning: <tool_call> also ends reasoning for the
        # qwen3 parser, so ban both when the point is "</think> never comes".
        no_close = {str(think_end): -100, str(tool_call): -100}
        no_think = {"enable_thinking": False}

        # 1. image input
        st, d = self.chat(messages=self.image_msg(1), max_tokens=8, seed=1, chat_template_kwargs=no_think)
        ok = st == 200 and d["choices"][0]["message"]["content"] is not None
        self.fact(
            "image 320x240 → status, usage.prompt_tokens",
            {"status": st, "prompt_tokens": d.get("usage", {}).get("prompt_tokens")},
            ok,
        )
        st0, d0 = self.chat(messages=[{"role": "user", "content": "Describe the image."}], max_tokens=1,
                            chat_template_kwargs=no_think)
        if st == 200 and st0 == 200:
            extra = d["usage"]["prompt_tokens"] - d0["usage"]["prompt_tokens"]
            self.fact("image 320x240 → extra prompt tokens (incl. vision_start/end)", extra, extra == 80 + 2)

        # 2. response_format json_schema (thinking off)
        schema = {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 12},
                "age": {"type": "integer", "minimum": 0, "maximum": 120},
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 3},
            },
            "required": ["name", "age", "tags"],
            "additionalProperties": False,
        }
        rf = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}}
        st, d = self.chat(messages=self.image_msg(1, "Who is it? JSON."), max_tokens=200, seed=2,
                          response_format=rf, chat_template_kwargs=no_think)
        content = d["choices"][0]["message"]["content"] if st == 200 else None
        parsed = _loads(content)
        obj = json.loads(content, strict=False) if parsed else None
        valid = bool(obj) and set(obj) == {"name", "age", "tags"} and 0 <= obj["age"] <= 120 and len(obj["name"]) <= 12
        self.fact("json_schema (enable_thinking=false) → message.content", content, valid)
        # xgrammar lets raw control characters (U+0000-U+001F) into JSON strings; a random
        # model emits them now and then, and strict parsers (json.loads, pydantic) reject them.
        self.fact("json_schema → content parses with strict JSON", parsed == "strict")
        self.fact("json_schema → finish_reason", d["choices"][0]["finish_reason"] if st == 200 else st,
                  st == 200 and d["choices"][0]["finish_reason"] == "stop")

        # 3. thinking on, </think> never comes → all reasoning, content None
        st, d = self.chat(messages=[{"role": "user", "content": "Think."}], max_tokens=16, seed=3, logit_bias=no_close)
        m = d["choices"][0]["message"] if st == 200 else {}
        self.fact(
            "thinking on, no </think> → message.reasoning / message.content",
            {"reasoning_type": type(m.get("reasoning")).__name__, "content": m.get("content"),
             "has_reasoning_content_key": "reasoning_content" in m},
            st == 200 and isinstance(m.get("reasoning"), str) and m.get("content") is None,
        )
        rt = (d.get("usage", {}).get("completion_tokens_details") or {}).get("reasoning_tokens")
        self.fact("usage.completion_tokens_details.reasoning_tokens", rt, rt == 16)

        # 3b. thinking on + json_schema, </think> never comes → structured output never starts
        st, d = self.chat(messages=[{"role": "user", "content": "JSON please."}], max_tokens=16, seed=3,
                          logit_bias=no_close, response_format=rf)
        m = d["choices"][0]["message"] if st == 200 else {}
        self.fact("thinking on + json_schema, no </think> → message.content", m.get("content"),
                  st == 200 and m.get("content") is None)

        # 4. logit_bias on </think> makes the random model close its reasoning
        bias = {str(think_end): 5, str(tool_call): -100}
        st, d = self.chat(messages=[{"role": "user", "content": "Think, then answer."}], max_tokens=40, seed=4,
                          logit_bias=bias)
        m = d["choices"][0]["message"] if st == 200 else {}
        self.fact(
            "logit_bias {</think>: +5} → reasoning and content both set",
            {"reasoning": m.get("reasoning"), "content": m.get("content")},
            bool(m.get("reasoning")) and bool(m.get("content")) and THINK_END not in (m.get("content") or ""),
        )
        # 4b. … and then structured output starts after </think>
        st, d = self.chat(messages=[{"role": "user", "content": "Think, then JSON."}], max_tokens=200, seed=4,
                          logit_bias=bias, response_format=rf)
        m = d["choices"][0]["message"] if st == 200 else {}
        parsed = _loads(m.get("content"))
        self.fact("thinking on + json_schema + logit_bias → reasoning, JSON content",
                  {"reasoning_len": len(m.get("reasoning") or ""), "content": m.get("content"),
                   "strict_json": parsed == "strict"},
                  bool(m.get("reasoning")) and parsed is not None)

        # 5. chat_template_kwargs enable_thinking=false
        st, d = self.chat(messages=[{"role": "user", "content": "Answer."}], max_tokens=12, seed=5,
                          logit_bias={str(tool_call): -100}, chat_template_kwargs=no_think)
        m = d["choices"][0]["message"] if st == 200 else {}
        self.fact("enable_thinking=false → message.reasoning / content",
                  {"reasoning": m.get("reasoning"), "content_type": type(m.get("content")).__name__},
                  st == 200 and m.get("reasoning") is None and isinstance(m.get("content"), str))

        # 6. streaming: delta.reasoning then delta.content
        body = {"model": self.model, "messages": [{"role": "user", "content": "Stream."}], "max_tokens": 40,
                "seed": 4, "logit_bias": bias, "stream": True, "stream_options": {"include_usage": True}}
        keys: set[str] = set()
        n_reason = n_content = 0
        usage = None
        t1 = time.perf_counter()
        with self.client.stream("POST", "/v1/chat/completions", json=body) as r:
            for line in r.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                usage = chunk.get("usage") or usage
                for ch in chunk.get("choices", []):
                    delta = ch.get("delta", {})
                    keys.update(k for k, v in delta.items() if v is not None)
                    n_reason += bool(delta.get("reasoning"))
                    n_content += bool(delta.get("content"))
        self.latencies.append(time.perf_counter() - t1)
        self.fact("stream → delta keys seen", sorted(keys), "reasoning" in keys and "reasoning_content" not in keys)
        self.fact("stream → chunks with delta.reasoning / delta.content", [n_reason, n_content],
                  n_reason > 0 and n_content > 0)

        # 7. more images than --limit-mm-per-prompt
        st, d = self.chat(messages=self.image_msg(3), max_tokens=4, chat_template_kwargs=no_think)
        self.fact("3 images over limit 2 → HTTP status, error.message", {"status": st, "message": _err(d)}, st == 400)

        # 8. per-request mm_processor_kwargs
        st, d = self.chat(messages=self.image_msg(1), max_tokens=4, chat_template_kwargs=no_think,
                          mm_processor_kwargs={"size": {"shortest_edge": 3136, "longest_edge": 200704}})
        self.fact("per-request mm_processor_kwargs → HTTP status, error.message",
                  {"status": st, "message": _err(d)}, st == 400)

        # 9. seed repeatability
        a = self.chat(messages=[{"role": "user", "content": "Seed."}], max_tokens=12, seed=7,
                      chat_template_kwargs=no_think)[1]
        b = self.chat(messages=[{"role": "user", "content": "Seed."}], max_tokens=12, seed=7,
                      chat_template_kwargs=no_think)[1]
        same = a["choices"][0]["message"]["content"] == b["choices"][0]["message"]["content"]
        self.fact("same seed → same content", same, same)

        # 10. tool calls (hermes parser). vLLM 0.32 constrains the <tool_call> envelope for
        # tool_choice=required/named, but the arguments' schema only when the tool says
        # "strict": true (or the server runs with --tool-strict-level parameter).
        params = {"type": "object", "properties": {
            "field": {"type": "string", "enum": ["name", "phone", "email"]},
            "count": {"type": "integer", "minimum": 0, "maximum": 9}},
            "required": ["field", "count"], "additionalProperties": False}

        def tool(strict: bool) -> list[dict]:
            fn = {"name": "fill_field", "description": "Fill one form field", "parameters": params}
            if strict:
                fn["strict"] = True
            return [{"type": "function", "function": fn}]

        for strict in (True, False):
            st, d = self.chat(messages=[{"role": "user", "content": "Fill the name."}], max_tokens=120, seed=8,
                              tools=tool(strict), tool_choice="required", parallel_tool_calls=False,
                              chat_template_kwargs=no_think)
            m = d["choices"][0]["message"] if st == 200 else {}
            calls = m.get("tool_calls") or []
            fn = calls[0]["function"] if calls else None
            try:
                args = json.loads(fn["arguments"])
                schema_ok = isinstance(args, dict) and set(args) == {"field", "count"}
            except (TypeError, ValueError):
                schema_ok = False
            shown = {"function": fn, "finish_reason": d["choices"][0]["finish_reason"] if st == 200 else st,
                     "arguments_match_schema": schema_ok}
            if strict:
                self.fact("tool_choice=required, strict tool → message.tool_calls[0]", shown,
                          bool(fn) and fn["name"] == "fill_field" and schema_ok)
            else:
                self.fact("tool_choice=required, non-strict tool → message.tool_calls[0]", shown,
                          bool(fn) and fn["name"] == "fill_field")

        # 11. concurrency
        wall, statuses = asyncio.run(self._concurrent(8))
        self.fact("8 concurrent requests → statuses, wall seconds", {"statuses": statuses, "wall_s": round(wall, 2)},
                  statuses == [200] * 8)

        lat = sorted(self.latencies)
        self.fact("request latency s (min / median / max)",
                  [round(lat[0], 3), round(lat[len(lat) // 2], 3), round(lat[-1], 3)])
        self.fact("smoke wall seconds", round(time.perf_counter() - t0, 1))

    async def _concurrent(self, n: int) -> tuple[float, list[int]]:
        async with httpx.AsyncClient(base_url=self.root, timeout=120.0) as client:
            async def one(i: int) -> int:
                r = await client.post("/v1/chat/completions", json={
                    "model": self.model, "messages": self.image_msg(1, f"Request {i}."), "max_tokens": 16,
                    "seed": i})
                return r.status_code

            t0 = time.perf_counter()
            statuses = await asyncio.gather(*(one(i) for i in range(n)))
            return time.perf_counter() - t0, list(statuses)


def _loads(text: str | None) -> str | None:
    """'strict' if text is JSON, 'lenient' if only json.loads(strict=False) takes it, else None."""
    if text is None:
        return None
    try:
        json.loads(text)
        return "strict"
    except ValueError:
        pass
    try:
        json.loads(text, strict=False)
        return "lenient"
    except ValueError:
        return None


def _err(d: dict) -> str | None:
    e = d.get("error")
    if isinstance(e, dict):
        return e.get("message")
    return e if isinstance(e, str) else d.get("message") or d.get("detail")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base_url")
    ap.add_argument("--model", default="tiny-qwen3-vl")
    ap.add_argument("--json", dest="json_out")
    a = ap.parse_args()
    s = Smoke(a.base_url, a.model)
    try:
        s.run()
    except Exception as exc:  # report, never hide: a crash is a failure
        s.fact("smoke crashed", f"{type(exc).__name__}: {exc}", False)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"facts": s.facts, "passed": s.passed, "failed": s.failed}, f, indent=2, ensure_ascii=False)
    print(f"{s.passed} passed, {s.failed} failed")
    return 0 if s.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
