"""Qwen3's reasoning, split from the answer, kept in ``additional_kwargs["reasoning_content"]``.

The reasoning arrives in one of three shapes: ``message.reasoning`` (vLLM >= 0.15),
``message.reasoning_content`` (older vLLM), or inline before ``</think>`` in the content
(a server without a reasoning parser). The chat model uses these helpers for whole replies
and for streams alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from langchain_core.messages import AIMessage

REASONING_KEY = "reasoning_content"
"""Where the reasoning goes in ``AIMessage.additional_kwargs`` (the DeepSeek/Qwen convention)."""
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


def reasoning_field(message: Mapping[str, Any]) -> str:
    """Reasoning a parser put in its own field: ``reasoning`` (vLLM >= 0.15) or older name."""
    for key in ("reasoning", "reasoning_content"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _held_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that could be the start of ``tag``."""
    for n in range(min(len(text), len(tag) - 1), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0


class ThinkSplitter:
    """Splits content that carries reasoning inline (``[<think>]…</think>answer``).

    That is what a server without a reasoning parser sends. Fed piece by piece (streaming)
    or all at once, it gives the same split: text before ``</think>`` is reasoning (an
    optional leading ``<think>`` dropped), whitespace right after ``</think>`` is dropped,
    the rest is content. Tags split across pieces are held back until they are whole.

    ``wait_for_close``: when the text does not start with ``<think>``, hold it until
    ``</think>`` shows up (then it was reasoning) or the text ends (then it was content).
    Use it for Thinking models and for whole texts; an Instruct model never reasons, so
    its stream passes straight through.
    """

    def __init__(self, wait_for_close: bool) -> None:
        self._wait = wait_for_close
        self._state = "start"  # start | think | undecided | content
        self._buf = ""
        self._strip_ws = False

    def parser_seen(self) -> None:
        """The server sent reasoning in its own field, so content is plain content."""
        if self._state in ("start", "undecided") and not self._buf.strip():
            self._state = "content"

    def feed(self, text: str) -> tuple[str, str]:
        """(reasoning, content) that can be released after ``text``."""
        self._buf += text
        reasoning = content = ""
        while True:
            if self._state == "start":
                lead = self._buf.lstrip()
                if not lead:
                    return reasoning, content
                if lead.startswith(THINK_OPEN):
                    self._buf, self._state = lead[len(THINK_OPEN):], "think"
                    continue
                if THINK_OPEN.startswith(lead):
                    return reasoning, content  # maybe a "<thi" that is still coming
                self._state = "undecided" if self._wait else "content"
                continue
            if self._state in ("think", "undecided"):
                end = self._buf.find(THINK_CLOSE)
                if end >= 0:
                    reasoning += self._buf[:end]
                    self._buf = self._buf[end + len(THINK_CLOSE):]
                    self._state, self._strip_ws = "content", True
                    continue
                if self._state == "think":
                    keep = _held_suffix(self._buf, THINK_CLOSE)
                    reasoning += self._buf[:len(self._buf) - keep]
                    self._buf = self._buf[len(self._buf) - keep:]
                return reasoning, content
            # content
            if self._strip_ws:
                self._buf = self._buf.lstrip()
                if not self._buf:
                    return reasoning, content
                self._strip_ws = False
            content += self._buf
            self._buf = ""
            return reasoning, content

    def finish(self) -> tuple[str, str]:
        """What is left at the end: unclosed ``<think>`` text is reasoning, else content."""
        rest, self._buf = self._buf, ""
        if self._state == "think":
            return rest, ""
        return "", "" if self._strip_ws else rest


def split_inline_reasoning(text: str) -> tuple[str, str]:
    """(reasoning, content) of a whole content string that may hold ``…</think>`` inline."""
    splitter = ThinkSplitter(wait_for_close=True)
    r1, c1 = splitter.feed(text)
    r2, c2 = splitter.finish()
    return r1 + r2, c1 + c2


_Msg = TypeVar("_Msg", bound=AIMessage)


def with_reasoning(message: _Msg, reasoning: str, content: str) -> _Msg:
    """A copy of ``message`` with ``content`` and the reasoning in ``additional_kwargs``."""
    kwargs = dict(message.additional_kwargs)
    if reasoning:
        kwargs[REASONING_KEY] = reasoning
    else:
        kwargs.pop(REASONING_KEY, None)
    return message.model_copy(update={"content": content, "additional_kwargs": kwargs})
