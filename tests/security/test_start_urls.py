"""Security issue #11, items 2 and 9 without a server: the start-URL rule and the answer view.

The browser starts only where the operator allowed (a caller's context cannot allow it), and
an answer shown over HTTP names its files (the browser's screenshots and replay too) by name or
URL, never by the server's path.
"""

from __future__ import annotations

import json

import pytest

from agents.context import Context
from agents.records import ActReport, Answer
from agents.start_url import start_allowed
from server.answer_view import answer_files, public_answer


@pytest.mark.parametrize(("url", "allowed", "ok"), [
    ("http://127.0.0.1:8000/bank.html", ["127.0.0.1:8000"], True),
    ("http://127.0.0.1:8001/bank.html", ["127.0.0.1:8000"], False),
    ("https://forms.example/a", ["forms.example"], True),
    ("http://forms.example.evil.test/", ["http://forms.example"], False),
    ("http://forms.example@evil.test/", ["http://forms.example"], False),
    ("http://forms.example/formsx", ["http://forms.example/forms"], False),
    ("http://forms.example/forms/a", ["http://forms.example/forms/"], True),
    ("https://forms.example/forms", ["http://forms.example/forms"], False),
    ("file:///etc/passwd", ["forms.example"], False),
    ("javascript:alert(1)", ["forms.example"], False),
    ("http://forms.example:99999/", ["forms.example"], False),
    ("http://forms.example/", [], False),
])
def test_the_start_url_must_match_an_allowed_prefix_or_host(url: str, allowed: list[str],
                                                            ok: bool) -> None:
    assert start_allowed(url, allowed) is ok


def test_only_the_operator_allows_a_start_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VLCREW_ACT_START_URLS", raising=False)
    assert Context().act_start_urls == ()
    with pytest.raises(TypeError):  # no field a caller's context could set
        Context(**{"act_start_urls": "evil.test"})  # type: ignore[arg-type]
    ctx = Context(approve="ask").starting_at("http://127.0.0.1:8000/")
    assert ctx.act_start_urls == ("http://127.0.0.1:8000/",) and ctx.approve == "ask"
    monkeypatch.setenv("VLCREW_ACT_START_URLS", "forms.example, intranet.test")
    assert Context().act_start_urls == ("forms.example", "intranet.test")


def test_the_public_answer_names_files_never_by_path() -> None:
    answer = Answer(task="act", backend="offline", overlay="/srv/data/runs/x/overlay.png",
                    files={"overlay": "/srv/data/runs/x/overlay.png",
                           "replay": "/srv/data/runs/act-1/replay.py"},
                    act=ActReport(start_url="http://h/", screenshots=[
                        "/srv/data/runs/act-1/screen_1.png"], files={
                        "replay": "/srv/data/runs/act-1/replay.py"}))
    assert answer_files(answer)["screen_1"] == "/srv/data/runs/act-1/screen_1.png"
    named = public_answer(answer)
    assert "/srv" not in json.dumps(named)
    assert named["overlay"] == "overlay.png" and named["act"]["screenshots"] == ["screen_1.png"]
    linked = public_answer(answer, lambda name, _path: f"/api/threads/t/files/{name}")
    assert linked["act"]["screenshots"] == ["/api/threads/t/files/screen_1"]
    assert linked["files"]["replay"] == "/api/threads/t/files/replay"
    assert answer.files["overlay"].startswith("/srv")  # the CLI's answer keeps its paths
