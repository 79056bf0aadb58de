"""Reading chat messages: the human turns, their text and their image sources.

Messages come in OpenAI form (``image_url`` parts) or LangChain form (``image`` parts with
a URL or base64 data); both give the same text and image sources.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage

_CJK = re.compile(r"[\u4e00-\u9fff]")


def writes_chinese(text: str) -> bool:
    """Does the user write Chinese? (Replies and questions then answer in Chinese.)"""
    return bool(_CJK.search(text))


def humans_of(messages: list[Any]) -> list[BaseMessage]:
    return [m for m in messages or []
            if isinstance(m, HumanMessage) or getattr(m, "type", None) == "human"]


def human_texts(messages: list[Any]) -> list[str]:
    """The text of every human turn, oldest first (later values override earlier ones)."""
    return [t for m in humans_of(messages) if (t := split_content(m.content)[0])]


def _image_source(part: dict[str, Any]) -> str | None:
    """The URL/path/base64 of one content part, in OpenAI or LangChain form."""
    kind = part.get("type")
    if kind == "image_url":
        url = part.get("image_url")
        return url.get("url") if isinstance(url, dict) else url
    if kind == "image":
        if part.get("url"):
            return str(part["url"])
        data = part.get("base64") or part.get("data")
        if data:
            mime = part.get("mime_type") or "image/png"
            return f"data:{mime};base64,{data}"
        if part.get("source_type") == "url":
            return part.get("url")
    return None


def split_content(content: Any) -> tuple[str, list[str]]:
    """Request text and image sources from a message's content (str or parts)."""
    if isinstance(content, str):
        return content.strip(), []
    texts: list[str] = []
    images: list[str] = []
    for part in content or []:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict):
            if part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            else:
                src = _image_source(part)
                if src:
                    images.append(src)
    return "\n".join(t.strip() for t in texts if t.strip()), images
