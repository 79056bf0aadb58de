"""Overlay rendering and script export on real images and fields."""

from __future__ import annotations

import ast

import numpy as np
from PIL import Image

from tools.common.schema import FilledField
from tools.forms.overlay import AMBER, GREEN, RED, confidence_colour, render_overlay
from tools.forms.script_export import playwright_script, pyautogui_script, values_json


def field(label: str, bbox: list[int], value: str, confidence: float = 0.9, **kw) -> FilledField:
    return FilledField(label=label, bbox=bbox, value=value, action=kw.pop("action", "input_text"),
                       confidence=confidence, key=kw.pop("key", "name"),
                       kind=kw.pop("kind", "text_input"), **kw)


FIELDS = [
    field("姓名", [100, 40, 400, 80], "张三"),
    field("手机号码", [100, 120, 400, 160], "13812345678", 0.6, key="phone"),
    field("身份证号码", [100, 200, 400, 240], "110105194912310022", 0.9, key="id_number",
          valid=False, message="checksum digit should be 1"),
    field("性别", [100, 280, 118, 298], "男", 0.9, key="gender", kind="radio", action="check",
          option="男"),
]


def test_colours_follow_confidence_and_validity() -> None:
    assert [confidence_colour(f) for f in FIELDS] == [GREEN, AMBER, RED, GREEN]


def test_overlay_tints_boxes_writes_values_and_adds_a_panel() -> None:
    form = Image.new("RGB", (600, 400), "white")
    out = render_overlay(form, FIELDS, ["国籍", "工作单位"], "Fields to fill")
    assert out.height == 400 and out.width > 600 + 300  # the side panel
    # The border of the first box is green, of the invalid one red.
    assert out.getpixel((100, 60)) == GREEN
    assert out.getpixel((100, 220)) == RED
    # The value is written inside the box in ink colour (dark blue-ish pixels present).
    crop = np.asarray(out.crop((104, 44, 396, 76)).convert("RGB")).astype(int)
    inked = (crop[:, :, 2] > 150) & (crop[:, :, 0] < 120)
    assert inked.sum() > 40


def test_playwright_script_is_valid_python_with_label_locators_and_no_values() -> None:
    script = playwright_script(FIELDS)
    tree = ast.parse(script)
    assert any(isinstance(n, ast.FunctionDef) and n.name == "fill" for n in tree.body)
    assert "get_by_label" in script and "executable_path=CHROMIUM" in script
    assert "'label': '身份证号码'" in script
    assert "13812345678" not in script  # values live in values.json, not in the script
    assert '"phone": "13812345678"' in values_json(FIELDS)


def test_pyautogui_script_has_centres_and_pastes_text() -> None:
    script = pyautogui_script(FIELDS, (600, 400))
    ast.parse(script)
    assert "'center': [250, 60]" in script and "'center': [109, 289]" in script
    assert "pyperclip.copy(value)" in script and "600x400" in script
