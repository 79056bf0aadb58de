"""The OpenAI-compatible endpoint over real HTTP on 127.0.0.1, on the offline backend.

Clients: the official ``openai`` client (streaming and not), plain ``requests`` exactly as
the reference article's client calls ``/v1/chat/completions`` (a ``file://`` image, which
only a server started with ``image_dirs`` accepts), and httpx for the bad requests — each a
4xx in OpenAI's error shape with a message, never a 500. Servers: the endpoint with the
defaults (data URIs only), one that may read images from a temporary folder, and the whole
app as ``vlcrew serve`` runs it, where the official client's ``api_key`` is the token.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import shutil
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import requests
import uvicorn
from openai import OpenAI
from PIL import Image

from agents.context import Context
from graph.builder import graph
from server.openai_api import MAX_BODY_BYTES, MAX_IMAGES, build_app
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.server

REQUEST = (EXAMPLES / "insurance_claim_en.request.txt").read_text(encoding="utf-8").strip()
IMAGE = "data:image/png;base64," + base64.b64encode(
    (EXAMPLES / "insurance_claim_en.png").read_bytes()).decode()
BANK = EXAMPLES / "bank_account_zh.png"
BANK_REQUEST = (EXAMPLES / "bank_account_zh.request.txt").read_text(encoding="utf-8").strip()


def data_uri(raw: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(raw).decode()


def tiny_png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format="PNG")
    return data_uri(buf.getvalue())


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A valid PNG header claiming 900 MP (a decompression bomb), with a token IDAT."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@contextlib.contextmanager
def serve(ctx: Context, app: Any = None) -> Iterator[str]:
    """The app (default: over the real graph) on a free loopback port, uvicorn in a thread;
    yields the base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app or build_app(graph, ctx), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Default settings: data URIs only, no local files, no http."""
    with serve(Context(backend="offline", image_dirs="",
                       out_dir=str(tmp_path_factory.mktemp("api-out")))) as url:
        yield url


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The whole app as ``vlcrew serve`` runs it (token required); yields (URL, token)."""
    from server.app import create_app
    from server.security import load_or_create_token

    ctx = Context(backend="offline", image_dirs="",
                  out_dir=str(tmp_path_factory.mktemp("api-out-secured")))
    with serve(ctx, create_app(context=ctx)) as url:
        yield url, load_or_create_token()  # the install's token, as the CLI prints it


@pytest.fixture(scope="module")
def allowed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder the second server may read images from, with traps pointing out of it."""
    root = tmp_path_factory.mktemp("images")
    folder = root / "allowed"
    folder.mkdir()
    shutil.copy(BANK, folder / "bank.png")
    shutil.copy(EXAMPLES / "insurance_claim_en.png", root / "outside.png")
    (folder / "escape.png").symlink_to(root / "outside.png")  # a real image, outside
    (folder / "passwd.png").symlink_to("/etc/passwd")
    (folder / "notes.png").write_text("not an image", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def dirs_url(allowed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Local images allowed from ``allowed`` only."""
    with serve(Context(backend="offline", image_dirs=str(allowed),
                       out_dir=str(tmp_path_factory.mktemp("api-out-dirs")))) as url:
        yield url


def user(text: str, *images: str) -> list[dict]:
    parts = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": u}} for u in images]
    return [{"role": "user", "content": parts}]


def assert_error(resp: httpx.Response | requests.Response, status: int, needle: str) -> None:
    """An OpenAI-shaped error with this status whose message says ``needle``."""
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert needle in error["message"], error["message"]


# -- clients that work -----------------------------------------------------------------


def test_official_client_non_streaming(secured: tuple[str, str]) -> None:
    base_url, token = secured
    client = OpenAI(base_url=f"{base_url}/v1", api_key=token)  # sent as Bearer
    assert [m.id for m in client.models.list()] == ["vlcrew"]
    assert client.models.retrieve("vlcrew").id == "vlcrew"
    reply = client.chat.completions.create(model="vlcrew", messages=user(REQUEST, IMAGE))
    answer = json.loads(reply.choices[0].message.content)
    assert answer["backend"] == "offline" and answer["missing"] == ["Address"]
    assert {f["label"]: f["value"] for f in answer["fields"]}["Full name"] == "Jane Doe"
    assert "plan: s1 ocr, s2 gui" in reply.choices[0].message.model_extra["reasoning_content"]


def test_official_client_streams_reasoning_then_the_answer(secured: tuple[str, str]) -> None:
    base_url, token = secured
    client = OpenAI(base_url=f"{base_url}/v1", api_key=token)
    reasoning, content = [], []
    for chunk in client.chat.completions.create(model="vlcrew", stream=True,
                                                messages=user(REQUEST, IMAGE)):
        delta = chunk.choices[0].delta
        if (delta.model_extra or {}).get("reasoning_content"):
            reasoning.append(delta.model_extra["reasoning_content"])
        if delta.content:
            content.append(delta.content)
    assert len(reasoning) >= 4 and "s2 gui: done" in "".join(reasoning)
    assert json.loads("".join(content))["task"] == "form_fill"


def test_official_client_gets_a_bad_stream_request_as_an_error(
        secured: tuple[str, str]) -> None:
    base_url, token = secured
    client = OpenAI(base_url=f"{base_url}/v1", api_key=token, max_retries=0)
    with pytest.raises(openai.BadRequestError, match="no image"):
        client.chat.completions.create(model="vlcrew", stream=True, messages=user(REQUEST))
    with pytest.raises(openai.NotFoundError, match="unknown model"):
        client.chat.completions.create(model="gpt-4o", messages=user(REQUEST, IMAGE))


def test_requests_exactly_like_the_reference_article(dirs_url: str, allowed: Path) -> None:
    # §3.2 of shared/reference/000_cfc22ab631a4caea.txt, with our model name and a file
    # inside the folder this server may read.
    url = f"{dirs_url}/v1/chat/completions"
    headers = {"Content-Type": "application/json"}
    data = {
        "model": "vlcrew",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": BANK_REQUEST},
                    {"type": "image_url", "image_url": {"url": f"file://{allowed}/bank.png"}},
                ],
            }
        ],
        "max_tokens": 1024,
        "temperature": 0.7,
    }
    response = requests.post(url, json=data, headers=headers, timeout=120)
    assert response.status_code == 200, response.text
    answer = json.loads(response.json()["choices"][0]["message"]["content"])
    filled = {f["label"]: f["value"] for f in answer["fields"]}
    assert filled["姓名"] == "张三" and filled["手机号码"] == "13812345678"
    assert requests.get(f"{dirs_url}/healthz", timeout=10).json() == {"status": "ok"}


def test_a_follow_up_uses_the_screenshot_from_earlier_in_the_chat(base_url: str) -> None:
    # What Open WebUI sends on the second turn: the whole conversation, the screenshot only
    # in the first message, the assistant's first answer in between.
    first = httpx.post(f"{base_url}/v1/chat/completions", timeout=120, json={
        "model": "vlcrew", "messages": user(BANK_REQUEST, data_uri(BANK.read_bytes()))})
    assert first.status_code == 200, first.text
    said = first.json()["choices"][0]["message"]["content"]
    history = [{"role": "system", "content": "You fill forms."},
               *user(BANK_REQUEST, data_uri(BANK.read_bytes())),
               {"role": "assistant", "content": said},
               {"role": "user", "content": "把手机改成 13900001111"}]
    resp = httpx.post(f"{base_url}/v1/chat/completions", timeout=120,
                      json={"model": "vlcrew", "messages": history})
    assert resp.status_code == 200, resp.text
    answer = json.loads(resp.json()["choices"][0]["message"]["content"])
    filled = {f["label"]: f["value"] for f in answer["fields"]}
    assert filled["手机号码"] == "13900001111"  # the follow-up wins
    assert filled["姓名"] == "张三"  # the first turn's data is kept


# -- bad requests: 4xx with a message, never 500 ------------------------------------------


BAD = [
    ({"model": "vlcrew", "messages": user(REQUEST)}, 400, "no image"),
    ({"model": "vlcrew", "messages": user(REQUEST, "data:image/png;base64,@@@")}, 400,
     "not valid base64"),
    ({"model": "vlcrew", "messages": user(REQUEST, data_uri(b"hello, not a png" * 8))}, 400,
     "not an image"),
    ({"model": "vlcrew", "messages": user(REQUEST, data_uri(BANK.read_bytes()[:20000]))}, 400,
     "truncated or corrupt"),
    ({"model": "vlcrew", "messages": user(REQUEST, data_uri(bomb_png()))}, 400, "too large"),
    ({"model": "vlcrew", "messages": user(REQUEST, "file:///etc/passwd")}, 400,
     "not allowed on this server"),
    ({"model": "vlcrew", "messages": user(REQUEST, "/etc/passwd")}, 400,
     "not allowed on this server"),
    ({"model": "vlcrew", "messages": user(REQUEST, "https://example.com/form.png")}, 400,
     "disabled"),
    ({"model": "vlcrew", "messages": user(REQUEST, "ftp://example.com/form.png")}, 400,
     "scheme not allowed"),
    ({"model": "vlcrew", "messages": user(REQUEST, *[tiny_png()] * (MAX_IMAGES + 1))}, 400,
     "too many images"),
    ({"model": "gpt-4o", "messages": user(REQUEST, IMAGE)}, 404, "unknown model"),
    ({"model": "vlcrew", "messages": []}, 400, "non-empty list"),
    ({"model": "vlcrew", "messages": [*user(REQUEST, IMAGE),
                                      {"role": "assistant", "content": "ok"}]}, 400,
     "last message"),
    ({"model": "vlcrew", "messages": [*user(REQUEST, IMAGE),
                                      {"role": "tool", "content": "x"}]}, 400, "role"),
    ({"model": "vlcrew", "messages": user("  ", IMAGE)}, 400, "empty request"),
    ({"model": "vlcrew", "messages": user(REQUEST, IMAGE), "stream": "yes"}, 400, "stream"),
]


@pytest.mark.parametrize(("body", "status", "needle"), BAD,
                         ids=[needle.replace(" ", "_") for _, _, needle in BAD])
def test_bad_requests_get_4xx_with_a_message(base_url: str, body: dict, status: int,
                                             needle: str) -> None:
    assert_error(httpx.post(f"{base_url}/v1/chat/completions", json=body, timeout=60),
                 status, needle)


@pytest.mark.parametrize(("name", "needle"), [
    ("passwd.png", "outside the folders"),  # a symlink to /etc/passwd
    ("escape.png", "outside the folders"),  # a symlink to a real image out of the folder
    ("../outside.png", "outside the folders"),  # '..' out of the folder
    ("missing.png", "not found"),
    ("notes.png", "not an image"),
])
def test_local_files_only_inside_the_allowed_folder(dirs_url: str, allowed: Path, name: str,
                                                    needle: str) -> None:
    for url in (f"file://{allowed}/{name}", f"{allowed}/{name}"):
        resp = httpx.post(f"{dirs_url}/v1/chat/completions", timeout=60,
                          json={"model": "vlcrew", "messages": user(BANK_REQUEST, url)})
        assert_error(resp, 400, needle)
    resp = httpx.post(f"{dirs_url}/v1/chat/completions", timeout=60, json={
        "model": "vlcrew", "messages": user(BANK_REQUEST, "file:///etc/passwd")})
    assert_error(resp, 400, "outside the folders")


def test_non_json_and_odd_bodies_are_400(base_url: str) -> None:
    url = f"{base_url}/v1/chat/completions"
    assert_error(httpx.post(url, content=b"{not json", timeout=30,
                            headers={"content-type": "application/json"}), 400, "not JSON")
    assert_error(httpx.post(url, content=b"", timeout=30), 400, "not JSON")
    assert_error(httpx.post(url, json=[1, 2], timeout=30), 400, "JSON object")


def test_oversized_body_is_413(base_url: str) -> None:
    resp = httpx.post(f"{base_url}/v1/chat/completions", timeout=60,
                      content=b"x" * (MAX_BODY_BYTES + 1),
                      headers={"content-type": "application/json"})
    assert_error(resp, 413, "too large")


def test_oversized_chunked_body_is_413(base_url: str) -> None:
    def pieces() -> Iterator[bytes]:  # no Content-Length: the server must count
        for _ in range(MAX_BODY_BYTES // (1 << 20) + 2):
            yield b"x" * (1 << 20)

    resp = httpx.post(f"{base_url}/v1/chat/completions", timeout=60, content=pieces())
    assert_error(resp, 413, "too large")


def test_unknown_routes_and_methods_answer_in_openai_shape(base_url: str) -> None:
    assert_error(httpx.get(f"{base_url}/v1/nothing-here", timeout=10), 404, "Not Found")
    assert_error(httpx.get(f"{base_url}/v1/chat/completions", timeout=10), 405, "Not Allowed")
    assert_error(httpx.get(f"{base_url}/v1/models/gpt-4o", timeout=10), 404, "unknown model")
