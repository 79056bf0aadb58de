"""Uploading files into a file input, only from the folders the user allowed.

The real path (symlinks resolved) must lie inside an allowed folder; the input's file names
are read back.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tools.browser.action_core import (
    RETRIES,
    TIMEOUT_S,
    ActionResult,
    Value,
    find_control,
    finish_result,
    read_state,
    run_attempts,
    start_result,
)
from tools.browser.page_records import PageControl

if TYPE_CHECKING:
    from playwright.async_api import Page


def allowed_file(path: str | Path, allowed_dirs: Sequence[str | Path]) -> Path:
    """The real path of ``path`` if it is a file inside one of ``allowed_dirs``; else raise."""
    real = Path(os.path.realpath(os.path.expanduser(str(path))))
    roots = [Path(os.path.realpath(os.path.expanduser(str(d)))) for d in allowed_dirs]
    if not any(real.is_relative_to(root) for root in roots):
        raise PermissionError(f"{Path(path).name}: not inside an allowed upload directory "
                              f"({', '.join(str(r) for r in roots) or 'none configured'})")
    if not real.is_file():
        raise FileNotFoundError(f"{Path(path).name}: no such file")
    return real


async def upload(page: Page, control: PageControl, path: str | Path | list[str | Path], *,
                 allowed_dirs: Sequence[str | Path] = (), retries: int = RETRIES,
                 timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Put file(s) into a file input — only from ``allowed_dirs`` — and read back the names."""
    t0 = time.perf_counter()
    paths = path if isinstance(path, list) else [path]
    res = start_result("upload", page, control, [str(p) for p in paths] if isinstance(path, list)
                 else str(path), None)
    try:
        real = [allowed_file(p, allowed_dirs) for p in paths]
    except (PermissionError, FileNotFoundError) as exc:
        res.message, res.attempts = str(exc), 1
        return finish_result(res, t0)
    # The real path is what was uploaded (and what a replay must upload again).
    res.value = [str(p) for p in real] if isinstance(path, list) else str(real[0])

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await find_control(page, control, timeout_s)
        await loc.set_input_files(real, timeout=timeout_s * 1000)
        st = await read_state(loc)
        names = st["files"]
        back: Value = names if isinstance(path, list) else (names[0] if names else "")
        if st["problem"]:
            return back, False, f"the page rejected the file: {st['problem']}", True
        ok = names == [p.name for p in real]
        return back, ok, "" if ok else "the input holds other files", False

    await run_attempts(res, attempt, retries)
    return finish_result(res, t0)
