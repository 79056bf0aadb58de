"""The ``vlcrew`` command as a user runs it: exit codes and one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT
from tests.documents.test_images import png_header_only

# Each test starts the command in a new Python process: out of `make test-fast`.
pytestmark = pytest.mark.slow

REQUEST = "我叫张三，手机13812345678，帮我填一下"


def vlcrew(*args: str, tmp: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VLCREW_DATA_DIR": str(tmp / "data"), "VLCREW_BACKEND": "offline"}
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180, input=stdin)


def make_bad(kind: str, tmp: Path) -> str:
    path = tmp / "form.png"
    good = (EXAMPLES / "bank_account_zh.png").read_bytes()
    if kind == "truncated":
        path.write_bytes(good[: len(good) // 3])
    elif kind == "zero":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is not an image\n")
    elif kind == "bomb":
        path.write_bytes(png_header_only(30000, 30000))
    elif kind == "missing":
        return str(tmp / "nowhere.png")
    return str(path)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("truncated", "truncated or corrupt image"),
        ("zero", "empty file (0 bytes)"),
        ("text", "not an image"),
        ("bomb", "image too large"),
        ("missing", "file not found"),
    ],
)
def test_bad_images_exit_2_with_one_line(kind: str, message: str, tmp_path: Path) -> None:
    proc = vlcrew("fill", make_bad(kind, tmp_path), "--request", REQUEST,
                  "--out", str(tmp_path / "out"), tmp=tmp_path)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("vlcrew: error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_empty_request_exits_2(tmp_path: Path) -> None:
    proc = vlcrew("fill", str(EXAMPLES / "bank_account_zh.png"), "--request", "  ",
                  tmp=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "vlcrew: error: empty request: say what to fill in, with your data"


def test_request_with_no_usable_data_exits_3_and_lists_missing(tmp_path: Path) -> None:
    proc = vlcrew("fill", str(EXAMPLES / "bank_account_zh.png"), "--request",
                  "请帮我填写这个表格", "--json", "--out", str(tmp_path / "out"), tmp=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "the request gives no data to fill in" in proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["fields"] == [] and "姓名" in answer["missing"]
    assert "Traceback" not in proc.stderr


def test_bad_profile_exits_2(tmp_path: Path) -> None:
    profile = tmp_path / "me.json"
    profile.write_text("{not json")
    proc = vlcrew("fill", str(EXAMPLES / "bank_account_zh.png"), "--request", REQUEST,
                  "--profile", str(profile), tmp=tmp_path)
    assert proc.returncode == 2 and "profile is not valid JSON" in proc.stderr


def test_approve_ask_reads_the_verdict_and_a_follow_up_continues_the_thread(
        tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    first = vlcrew("fill", str(EXAMPLES / "bank_account_zh.png"), "--request", REQUEST,
                   "--approve", "ask", "--json", "--out", out, tmp=tmp_path,
                   stdin="手机号码=12345\n手机号码=13912345678\n")
    assert first.returncode == 0, first.stderr
    assert "手机号码: 13812345678" in first.stderr  # shown for approval on the terminal
    assert "! 手机号码" in first.stderr  # the invalid edit was shown as a problem
    fields = {f["label"]: f["value"] for f in json.loads(first.stdout)["fields"]}
    assert fields["手机号码"] == "13912345678"
    thread = next(line.split()[-1] for line in first.stderr.splitlines()
                  if line.startswith("vlcrew: thread "))
    second = vlcrew("fill", "--thread", thread, "--request", "把姓名改为李四", "--json",
                    "--out", out, tmp=tmp_path)
    assert second.returncode == 0, second.stderr
    fields = {f["label"]: f["value"] for f in json.loads(second.stdout)["fields"]}
    assert fields["姓名"] == "李四" and fields["手机号码"] == "13912345678"
    assert "ocr:" not in second.stderr and "gui:" not in second.stderr  # nothing re-read
    missing = vlcrew("fill", "--thread", "nope", "--request", "x", tmp=tmp_path)
    assert missing.returncode == 2 and "no thread 'nope'" in missing.stderr
