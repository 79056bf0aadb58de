"""The synthetic form generator and corpus: geometry of the ground truth, coverage, validity.

Fast (no OCR): renders a handful of specs and builds the corpus in memory.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bench.corpus import Case, corpus, field_spec, people
from bench.formgen import CANONICAL_KEYS, MIN_INPUT_HEIGHT, FormSpec, Style, render

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LAYOUTS = ("left", "above", "placeholder", "table", "underline", "mixed")

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb11643_ok(value: str) -> bool:
    """Independent GB 11643 check (not the generator's own function)."""
    v = value.upper()
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return False
    return "10X98765432"[sum(int(c) * w for c, w in zip(v[:17], _W, strict=True)) % 11] == v[17]


def _spec(layout: str, columns: int, lang: str = "zh") -> FormSpec:
    keys = ["name", "gender", "birth_date", "id_type", "id_number", "phone", "email", "address",
            "marital_status", "consent"]
    fields = []
    for k in keys:
        over: dict[str, Any] = {}
        if k == "address":
            over["kind"] = "textarea"
        if k in ("name", "phone"):
            over["required"] = True
        if layout == "mixed":
            over["layout"] = {"name": "left", "gender": "left", "birth_date": "table",
                              "id_type": "table", "id_number": "above", "phone": "above",
                              "email": "underline", "address": "placeholder"}.get(k)
        fields.append(field_spec(lang, k, **over))
    return FormSpec.model_validate({
        "id": f"t_{layout}_{columns}_{lang}", "lang": lang,
        "title": "测试表单" if lang == "zh" else "Test form",
        "subtitle": "说明文字" if lang == "zh" else "Instructions.",
        "layout": layout, "columns": columns, "width": 1000 if columns == 1 else 1200,
        "fields": fields, "signature_line": True,
        "style": Style(header_band="#1f4e99" if columns == 2 else None)})


SPECS = [_spec(lay, cols, lang) for lay in LAYOUTS for cols in (1, 2) for lang in ("zh", "en")]


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return corpus()


def _inside(b: list[int], size: list[int]) -> bool:
    return 0 <= b[0] < b[2] <= size[0] and 0 <= b[1] < b[3] <= size[1]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_truth_geometry(spec: FormSpec) -> None:
    image, truth = render(spec)
    assert truth["size"] == [image.width, image.height]
    assert truth["id"] == spec.id and truth["lang"] == spec.lang and truth["layout"] == spec.layout
    by_key = {f.key: f for f in spec.fields}
    assert {t["key"] for t in truth["fields"]} == set(by_key)
    for t in truth["fields"]:
        b, lb = t["bbox"], t["label_bbox"]
        assert _inside(b, truth["size"]), t
        w, h = b[2] - b[0], b[3] - b[1]
        f = by_key[t["key"]]
        layout = f.layout or ("left" if spec.layout == "mixed" else spec.layout)
        if t["kind"] in ("radio", "checkbox"):
            assert abs(w - h) <= 2 and 12 <= w <= 24, t  # small square / circle
            assert t["option"] in f.options
        else:
            assert t["option"] is None
            assert h >= MIN_INPUT_HEIGHT - 2 and w > 60, t
            if t["kind"] == "textarea" and layout != "underline":
                assert h >= 2 * MIN_INPUT_HEIGHT, t
        if t["key"] == "consent":
            assert lb is not None and lb[0] >= b[2], t  # text right of the box
            continue
        if layout == "placeholder" and t["kind"] not in ("radio", "checkbox"):
            assert lb is None and t["label"] == (f.placeholder or f.label)
            continue
        assert lb is not None and _inside(lb, truth["size"]), t
        cy_label, cy_box = (lb[1] + lb[3]) / 2, (b[1] + b[3]) / 2
        if layout == "above" and t["kind"] not in ("radio", "checkbox"):
            assert lb[3] <= b[1] and lb[0] >= b[0] - 2 and b[1] - lb[3] < 40, t
        elif layout == "above":
            assert lb[3] <= b[1] or lb[2] <= b[0], t
        else:  # left, table, underline: label to the left, on the same line
            assert lb[2] <= b[0], t
            if t["kind"] != "textarea":
                assert abs(cy_label - cy_box) < h, t


def test_radio_options_are_separate_entries() -> None:
    _, truth = render(SPECS[0])
    radios = [t for t in truth["fields"] if t["key"] == "gender"]
    assert [t["option"] for t in radios] == ["男", "女"]
    assert radios[0]["bbox"][2] < radios[1]["bbox"][0]
    assert all(t["label"] == "性别" for t in radios)


def test_buttons_are_extras_not_fields() -> None:
    _, truth = render(SPECS[0])
    buttons = [e for e in truth["extras"] if e["kind"] == "button"]
    assert buttons and buttons[0]["text"] == "提交"
    assert all(t["kind"] != "button" for t in truth["fields"])


def test_render_is_deterministic() -> None:
    for spec in (SPECS[0], SPECS[-1]):
        a, ta = render(spec)
        b, tb = render(FormSpec.model_validate(json.loads(spec.model_dump_json())))
        assert a.tobytes() == b.tobytes() and ta == tb


def test_corpus_is_deterministic(cases: list[Case]) -> None:
    again = corpus()
    assert [(c.spec.id, c.request, c.expected, c.profile) for c in cases] == [
        (c.spec.id, c.request, c.expected, c.profile) for c in again]
    spec = cases[3].spec
    assert render(spec)[0].tobytes() == render(spec)[0].tobytes()


def test_corpus_coverage(cases: list[Case]) -> None:
    assert len(cases) >= 24
    ids = [c.spec.id for c in cases]
    assert len(set(ids)) == len(ids)
    layouts: Counter[str] = Counter(c.spec.layout for c in cases)
    assert all(layouts[lay] >= 3 for lay in LAYOUTS), layouts
    langs = Counter(c.spec.lang for c in cases)
    assert langs["zh"] >= 10 and langs["en"] >= 10
    assert {c.spec.columns for c in cases} == {1, 2}
    assert all(800 <= c.spec.width <= 1600 for c in cases)
    assert any(c.spec.style.header_band for c in cases)
    assert any(not c.spec.style.header_band for c in cases)
    kinds = {f.kind for c in cases for f in c.spec.fields}
    assert kinds == {"text_input", "textarea", "select", "radio", "checkbox", "date"}
    assert sum(1 for c in cases if c.profile) >= 2
    assert all(c.spec.font_size >= 14 and c.spec.style.input_height >= 28 for c in cases)
    assert all(f.key in CANONICAL_KEYS for c in cases for f in c.spec.fields)


def test_expected_is_consistent(cases: list[Case]) -> None:
    for c in cases:
        labels = {t["label"] for t in c.truth["fields"]}
        truth_boxes = {tuple(t["bbox"]) for t in c.truth["fields"]}
        filled = {f["label"] for f in c.expected["fields"]}
        missing = c.expected["missing"]
        assert 1 <= len(missing) <= 3, c.spec.id
        for label in missing:
            assert label in labels, (c.spec.id, label)
            assert label not in filled, (c.spec.id, label)
        keys = Counter(f["key"] for f in c.expected["fields"])
        assert all(n == 1 for n in keys.values()), c.spec.id  # one option per radio group
        for f in c.expected["fields"]:
            assert tuple(f["bbox"]) in truth_boxes, (c.spec.id, f)
            assert f["value"], (c.spec.id, f)
            assert f["action"] in ("input_text", "select_option", "check"), f
            if f["key"] in ("birth_date", "claim_date", "id_expiry", "signature_date"):
                dt.date.fromisoformat(f["value"])
            if f["action"] == "check":
                assert f["option"] == f["value"]
        # profile values are not repeated in the request
        for value in (c.profile or {}).values():
            assert value not in c.request, (c.spec.id, value)
        # the consent box is ticked only when the user says so
        consent = [f for f in c.expected["fields"] if f["key"] == "consent"]
        agree = re.search(r"同意|agree|accept", c.request, re.I)
        assert bool(consent) == bool(agree), c.spec.id


def test_expected_id_numbers_are_valid(cases: list[Case]) -> None:
    seen = 0
    for c in cases:
        if c.spec.lang != "zh":
            continue
        values = {f["key"]: f["value"] for f in c.expected["fields"]}
        if "id_number" in values:
            seen += 1
            assert gb11643_ok(values["id_number"]), (c.spec.id, values["id_number"])
            if "birth_date" in values:
                assert values["id_number"][6:14] == values["birth_date"].replace("-", "")
            if "gender" in values:
                assert (int(values["id_number"][16]) % 2 == 1) == (values["gender"] == "男")
    assert seen >= 8


def test_people_are_plausible() -> None:
    import random

    rng = random.Random(7)
    for _ in range(50):
        p = people("zh", rng)
        assert 2 <= len(p["name"]) <= 3
        assert re.fullmatch(r"1[3-9]\d{9}", p["phone"])
        assert re.fullmatch(r"\d{6}", p["postcode"])
        assert gb11643_ok(p["id_number"])
        assert p["id_number"][6:14] == p["birth_date"].replace("-", "")
        assert "@" in p["email"]
        q = people("en", rng)
        assert re.fullmatch(r"\d{5}", q["postcode"]) and q["gender"] in ("Male", "Female")
        assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", q["name"])


@pytest.mark.parametrize("name", ["bank_account_zh", "insurance_claim_en"])
def test_examples_match_generator(name: str) -> None:
    png = EXAMPLES / f"{name}.png"
    if not png.exists():
        pytest.skip("examples not rendered yet (python -m examples.render_examples)")
    from examples.render_examples import EXAMPLES as MAKERS

    case = MAKERS[name]()
    image, truth = render(case.spec)
    with Image.open(png) as saved:
        assert saved.convert("RGB").tobytes() == image.tobytes(), "re-render the examples"
    assert png.stat().st_size < 300_000
    record = json.loads((EXAMPLES / f"{name}.truth.json").read_text(encoding="utf-8"))
    assert record["truth"] == truth and record["expected"] == case.expected
    request = (EXAMPLES / f"{name}.request.txt").read_text(encoding="utf-8").strip()
    assert request == case.request
    for f in case.expected["fields"]:
        if f["key"] == "id_number":
            assert gb11643_ok(f["value"])
