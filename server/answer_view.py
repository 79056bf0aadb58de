"""The answer as the HTTP APIs show it: files named by name or URL, never by server path.

The graph's answer keeps the paths of the files it wrote (the CLI prints them: it runs on the
user's machine, as the user). Over HTTP a path tells a caller where the server keeps its data
and who runs it, and it is of no use to them: the thread API gives each file's URL
(``/api/threads/{id}/files/{name}``), the stateless OpenAI endpoint the file's name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.records import Answer


def answer_files(answer: Answer) -> dict[str, str]:
    """Every file of the answer by its name: the written files, then the browser's
    screenshots (``screen_1``, ...)."""
    files = dict(answer.files)
    if answer.act is not None:
        files.update(answer.act.files)
        files.update({f"screen_{n}": path for n, path in enumerate(answer.act.screenshots, 1)})
    return files


def by_name(name: str, path: str) -> str:
    """The file's own name (``overlay.png``): what a stateless reply can give."""
    return Path(path).name


def public_answer(answer: Answer, show: Callable[[str, str], str] = by_name) -> dict[str, Any]:
    """The answer as JSON with each file path replaced by ``show(name, path)``."""
    data = answer.model_dump(mode="json")
    shown = {name: show(name, path) for name, path in answer_files(answer).items()}
    data["files"] = {name: shown[name] for name in answer.files}
    overlay = next((n for n, p in answer.files.items() if p == answer.overlay), None)
    data["overlay"] = shown[overlay] if overlay else (
        by_name("overlay", answer.overlay) if answer.overlay else None)
    if answer.act is not None:
        data["act"]["files"] = {name: shown[name] for name in answer.act.files}
        data["act"]["screenshots"] = [shown[f"screen_{n}"]
                                      for n in range(1, len(answer.act.screenshots) + 1)]
    return data
