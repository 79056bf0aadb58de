"""Give a control a value the way its kind takes one: fill, select, tick, choose, upload, click.

The one entry point for a caller that has a control and a value but not the action to use.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tools.browser.action_core import RETRIES, TIMEOUT_S, ActionResult
from tools.browser.check_actions import choose, set_checked
from tools.browser.navigation_actions import click
from tools.browser.page_records import PageControl
from tools.browser.select_actions import select
from tools.browser.text_actions import fill
from tools.browser.upload_action import upload

if TYPE_CHECKING:
    from playwright.async_api import Page


# What a person writes to mean "leave it unticked".
_NO = {"", "no", "false", "off", "0", "否", "不", "不要", "取消", "uncheck", "unchecked"}


async def set_value(page: Page, control: PageControl, value: str | list[str], *,
                    key: str | None = None, allowed_dirs: Sequence[str | Path] = (),
                    retries: int = RETRIES, timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Give a control a value the way its kind takes one (fill, select, tick, upload, click)."""
    one = value[0] if isinstance(value, list) and value else value
    kind = control.kind
    if kind in ("select", "custom_select") or (kind == "autocomplete" and control.options):
        return await select(page, control, value, key=key, retries=retries, timeout_s=timeout_s)
    if kind == "checkbox":
        return await set_checked(page, control, str(one).strip().lower() not in _NO, key=key,
                                 retries=retries, timeout_s=timeout_s)
    if kind == "radio":
        return await choose(page, control, key=key, retries=retries, timeout_s=timeout_s)
    if kind == "upload":
        files: list[str | Path] = list(value) if isinstance(value, list) else [value]
        return await upload(page, control, files if len(files) > 1 else files[0],
                            allowed_dirs=allowed_dirs, retries=retries, timeout_s=timeout_s)
    if kind in ("button", "link"):
        return await click(page, control, retries=retries, timeout_s=timeout_s)
    return await fill(page, control, str(one), key=key, retries=retries, timeout_s=timeout_s)
