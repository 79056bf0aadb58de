"""How the OpenAI endpoint turns a request into graph input: the whole conversation as
LangChain messages, image sources checked against the server's policy.

Unit tests of :func:`server.openai_api.to_messages` and :class:`ImagePolicy` (no server),
and one over real HTTP with a recording stand-in graph, which shows the graph receives every
message (not just the last) and that ingest's ``Overwrite`` resets stream cleanly.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.types import Overwrite

from agents.context import Context
from agents.records import Answer
from server.openai_api import BadRequest, ImagePolicy, to_messages
from tests.server.test_openai_api import IMAGE, serve, tiny_png, user


def test_the_whole_conversation_becomes_langchain_messages() -> None:
    body = {"messages": [
        {"role": "system", "content": "You fill forms."},
        *user("fill it: my name is Jane Doe", IMAGE),
        {"role": "assistant", "content": [{"type": "text", "text": '{"fields": []}'}]},
        {"role": "user", "content": "my phone is +1 415 555 0199"},
    ]}
    messages, sources = to_messages(body, ImagePolicy())
    assert [type(m) for m in messages] == [SystemMessage, HumanMessage, AIMessage, HumanMessage]
    assert messages[0].content == "You fill forms."
    assert messages[1].content == [{"type": "text", "text": "fill it: my name is Jane Doe"},
                                   {"type": "image_url", "image_url": {"url": IMAGE}}]
    assert messages[2].content == '{"fields": []}'
    assert messages[3].content == [{"type": "text", "text": "my phone is +1 415 555 0199"}]
    assert sources == [("messages[1].content[1].image_url", IMAGE)]


def test_images_anywhere_in_the_chat_count_against_the_limit() -> None:
    body = {"messages": [*user("a", *[tiny_png()] * 5), {"role": "assistant", "content": None},
                         *user("b", *[tiny_png()] * 4)]}
    with pytest.raises(BadRequest, match="too many images") as err:
        to_messages(body, ImagePolicy(max_images=8))
    assert err.value.param == "messages[2].content[4]"  # the 9th image
    messages, sources = to_messages(body, ImagePolicy(max_images=9))
    assert len(sources) == 9 and messages[1].content == ""


def test_an_image_in_a_system_or_assistant_message_is_refused() -> None:
    for role in ("system", "assistant"):
        body = {"messages": [{"role": role, "content": [
            {"type": "image_url", "image_url": {"url": IMAGE}}]}, *user("fill", IMAGE)]}
        with pytest.raises(BadRequest, match="text only"):
            to_messages(body, ImagePolicy())


def test_local_paths_need_an_allowed_folder(tmp_path: Path) -> None:
    inside = tmp_path / "in"
    inside.mkdir()
    (inside / "a.png").write_bytes(b"x")
    (tmp_path / "out.png").write_bytes(b"x")
    (inside / "link.png").symlink_to(tmp_path / "out.png")
    (inside / "ok-link.png").symlink_to(inside / "a.png")
    closed, policy = ImagePolicy(), ImagePolicy.from_context(
        Context(image_dirs=os.pathsep.join(["", str(inside), "  "])))
    assert policy.dirs == (os.path.realpath(inside),)
    with pytest.raises(BadRequest, match="not allowed on this server"):
        closed.source(f"file://{inside}/a.png", "p")
    assert policy.source(f"file://{inside}/a.png", "p") == os.path.realpath(inside / "a.png")
    assert policy.source(f"file://localhost{inside}/a.png", "p").endswith("a.png")
    assert policy.source(str(inside / "ok-link.png"), "p") == os.path.realpath(inside / "a.png")
    assert policy.source(f"file://{inside}/%61.png", "p").endswith("/a.png")  # URL-quoted
    for bad in (f"file://{inside}/link.png", f"{inside}/../out.png", f"{inside}2/a.png",
                "file:///etc/passwd", "/etc/passwd", "relative/../../etc/passwd"):
        with pytest.raises(BadRequest, match="outside the folders"):
            policy.source(bad, "p")
    with pytest.raises(BadRequest, match="local file"):
        policy.source(f"file://attacker.example{inside}/a.png", "p")
    with pytest.raises(BadRequest, match="not a usable file path"):
        policy.source(f"{inside}/a\0.png", "p")


@pytest.mark.server
def test_the_graph_gets_every_message_over_http(tmp_path: Path) -> None:
    seen: list[list[Any]] = []

    class Recorder:
        """Stands in for the compiled graph: records its input, answers at once."""

        async def astream(self, inputs: dict[str, Any], **kwargs: Any
                          ) -> AsyncIterator[dict[str, Any]]:
            seen.append(inputs["messages"])
            yield {"ingest": {"reasoning": Overwrite([]), "step_reports": Overwrite({})}}
            yield {"planner": {"reasoning": ["thinking about it"]}}
            yield {"feedback": {"answer": Answer(task="form_fill", backend="offline")}}

    from server.openai_api import build_app

    app = build_app(Recorder(), Context(backend="offline"))
    history = [*user("fill it", IMAGE), {"role": "assistant", "content": "done"},
               {"role": "user", "content": "change the phone to 13900001111"}]
    with serve(Context(backend="offline"), app=app) as url:
        resp = httpx.post(f"{url}/v1/chat/completions", timeout=30,
                          json={"model": "vlcrew", "messages": history})
        streamed = httpx.post(f"{url}/v1/chat/completions", timeout=30,
                              json={"model": "vlcrew", "messages": history, "stream": True})
    assert resp.status_code == 200, resp.text
    assert json.loads(resp.json()["choices"][0]["message"]["content"])["task"] == "form_fill"
    assert resp.json()["choices"][0]["message"]["reasoning_content"] == "thinking about it\n"
    assert streamed.status_code == 200 and streamed.text.endswith("data: [DONE]\n\n")
    assert len(seen) == 2
    for messages in seen:
        assert [m.type for m in messages] == ["human", "ai", "human"]
        assert messages[-1].content[0]["text"] == "change the phone to 13900001111"
