"""Issue #11, malformed input: random bodies and paths against both HTTP APIs, never a 5xx.

One real ``vlcrew serve`` process on 127.0.0.1 takes random bytes, random JSON (objects,
arrays, deep nesting, long numbers, wrong types in the right keys), random content types and
lengths on every POST route, and random path segments on every GET route. Bounded: a fixed
number of examples each, no per-example deadline, a few tens of seconds in all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.vlcrew_serve import Serve, start_serve

pytestmark = pytest.mark.server

POSTS = ["/api/runs", "/api/threads/{id}/resume", "/api/threads/{id}/continue",
         "/v1/chat/completions"]
GETS = ["/api/threads/{id}", "/api/threads/{id}/images/{id}", "/api/threads/{id}/files/{id}",
        "/api/threads/{id}/answer.json", "/v1/models/{id}", "/v1/{id}", "/static/{id}", "/{id}"]
TYPES = ["application/json", "application/json; charset=utf-8", "text/plain",
         "application/x-www-form-urlencoded", "multipart/form-data", "", "application/JSON"]

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
           | st.text(max_size=40))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)
# The keys the APIs read, with values of any type: where type confusion would hide.
known = st.fixed_dictionaries({}, optional={
    "model": st.sampled_from(["vlcrew", "gpt-4"]) | values,
    "messages": values | st.lists(st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "system", "assistant", "tool"]) | values,
         "content": values | st.lists(st.fixed_dictionaries(
             {"type": st.sampled_from(["text", "image_url"]) | values,
              "text": values, "image_url": values}), max_size=3)}), max_size=3),
    "stream": values, "request": values, "images": values, "thread_id": values,
    "approve": values, "backend": values, "profile": values, "action": values,
    "values": values})


def _encoded(value: Any) -> bytes:
    return json.dumps(value).encode()


bodies = st.one_of(
    st.binary(max_size=300),
    values.map(_encoded),
    known.map(_encoded),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.integers(1, 6000).map(lambda n: b'{"request": "x", "n": ' + b"9" * n + b"}"),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
segments = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    with start_serve(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Serve) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.auth, timeout=30) as c:
        yield c


FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@FUZZ
@given(route=st.sampled_from(POSTS), ident=segments, body=bodies,
       content_type=st.sampled_from(TYPES))
def test_random_posts_never_get_a_5xx(client: httpx.Client, route: str, ident: str,
                                      body: bytes, content_type: str) -> None:
    path = route.replace("{id}", quote(ident, safe=".~-_:@"))
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(path, content=body, headers=headers)
    assert response.status_code < 500, (path, body[:200], response.text[:300])


@FUZZ
@given(route=st.sampled_from(GETS), ident=segments)
def test_random_paths_never_get_a_5xx(client: httpx.Client, route: str, ident: str) -> None:
    path = route.replace("{id}", quote(ident, safe=".~-_:@"))
    response = client.get(path)
    assert response.status_code < 500, (path, response.text[:300])
