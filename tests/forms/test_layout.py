"""Layout analysis on real drawn forms: detection from pixels, labels from the real OCR.

Each form is drawn here with Pillow (the truth is known exactly), then run through
``detect_elements`` and, with ``tools.perception.ocr_engine.read_text``, through ``link_labels``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache

import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps

from tools.common.schema import Element, TextBlock
from tools.perception.layout import detect_elements, link_labels

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
INK, GREY_TEXT = (38, 38, 38), (170, 170, 170)
TOL = 4


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size, index=0)


@dataclass
class Truth:
    """One expected control."""

    kind: str
    bbox: tuple[int, int, int, int]
    label: str | None = None
    option: str | None = None
    placeholder: str | None = None
    linked_kind: str | None = None  # when linking refines the kind (a box labelled 日期)


@dataclass
class Form:
    """A drawn form and what must be found on it."""

    image: Image.Image
    truth: list[Truth] = field(default_factory=list)


def _text(d: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int = 16,
          fill: tuple[int, int, int] = INK, anchor: str = "lm") -> None:
    d.text(xy, text, font=_font(size), fill=fill, anchor=anchor)


def _box(d: ImageDraw.ImageDraw, r: tuple[int, int, int, int], outline=(192, 192, 192),
         fill=(255, 255, 255), radius: int = 0, width: int = 1) -> None:
    # Pillow's x2/y2 are inclusive; the truth boxes are exclusive, hence the -1.
    box = (r[0], r[1], r[2] - 1, r[3] - 1)
    if radius:
        d.rounded_rectangle(box, radius=radius, outline=outline, fill=fill, width=width)
    else:
        d.rectangle(box, outline=outline, fill=fill, width=width)


def form_a() -> Form:
    """Chinese, labels left (right-aligned with ：), select ▼, textarea, submit button."""
    im = Image.new("RGB", (760, 600), "white")
    d = ImageDraw.Draw(im)
    _text(d, (40, 28), "用户注册", size=22)
    f = Form(im)
    rows = [("姓名：", "text_input", None), ("手机号：", "text_input", None),
            ("电子邮箱：", "text_input", "请输入邮箱"), ("所在城市：", "select", "请选择"),
            ("身份证号：", "text_input", None)]
    borders = [(192, 192, 192), (217, 217, 217), (192, 192, 192), (160, 160, 160), (0, 0, 0)]
    y = 70
    for (label, kind, ph), colour in zip(rows, borders, strict=True):
        r = (170, y, 560, y + 36)
        _box(d, r, outline=colour, width=1 if colour != (160, 160, 160) else 2)
        _text(d, (150, y + 18), label, anchor="rm")
        if ph:
            _text(d, (182, y + 18), ph, size=15, fill=GREY_TEXT)
        if kind == "select":
            d.polygon([(536, y + 15), (546, y + 15), (541, y + 22)], fill=(120, 120, 120))
        f.truth.append(Truth(kind, r, label.rstrip("："), placeholder=ph))
        y += 56
    r = (170, y, 560, y + 100)
    _box(d, r, outline=(192, 192, 192))
    _text(d, (150, y + 18), "备注：", anchor="rm")
    f.truth.append(Truth("textarea", r, "备注"))
    y += 124
    r = (170, y, 270, y + 40)
    d.rounded_rectangle((r[0], r[1], r[2] - 1, r[3] - 1), radius=6, fill=(22, 119, 255))
    _text(d, (220, y + 20), "提交", fill=(255, 255, 255), anchor="mm")
    f.truth.append(Truth("button", r, "提交"))
    return f


def form_b() -> Form:
    """English, labels above, two columns."""
    im = Image.new("RGB", (900, 420), "white")
    d = ImageDraw.Draw(im)
    _text(d, (40, 30), "Contact details", size=22)
    f = Form(im)
    pairs = [("First name", "Last name"), ("Email address", "Phone number"),
             ("City", "Postal code")]
    y = 80
    for left, right in pairs:
        for x, label in ((40, left), (470, right)):
            _text(d, (x, y + 9), label, size=15)
            r = (x, y + 26, x + 390, y + 62)
            _box(d, r, outline=(200, 200, 200), radius=4)
            f.truth.append(Truth("text_input", r, label))
        y += 96
    return f


def form_c() -> Form:
    """Placeholder-only inputs (a login form) and a button."""
    im = Image.new("RGB", (520, 380), (255, 255, 255))
    d = ImageDraw.Draw(im)
    _text(d, (260, 40), "欢迎登录", size=24, anchor="mm")
    f = Form(im)
    y = 90
    for ph in ("请输入手机号", "请输入密码", "请输入验证码"):
        r = (60, y, 460, y + 40)
        _box(d, r, outline=(210, 210, 210), radius=4)
        _text(d, (76, y + 20), ph, size=15, fill=(160, 160, 160))
        f.truth.append(Truth("text_input", r, ph, placeholder=ph))
        y += 60
    r = (60, y + 6, 460, y + 50)
    d.rounded_rectangle((r[0], r[1], r[2] - 1, r[3] - 1), radius=6, fill=(7, 193, 96))
    _text(d, (260, y + 28), "登录", fill=(255, 255, 255), anchor="mm")
    f.truth.append(Truth("button", r, "登录"))
    return f


def form_d() -> Form:
    """A 2×4 table: label | value | label | value."""
    im = Image.new("RGB", (760, 260), "white")
    d = ImageDraw.Draw(im)
    _text(d, (380, 36), "员工信息登记表", size=22, anchor="mm")
    f = Form(im)
    xs, ys = [40, 160, 380, 500, 720], [80, 124, 168]
    for x in xs:
        d.line((x, ys[0], x, ys[-1]), fill=(0, 0, 0), width=1)
    for y in ys:
        d.line((xs[0], y, xs[-1], y), fill=(0, 0, 0), width=1)
    labels = [["姓名", "性别"], ["联系电话", "出生日期"]]
    for row in range(2):
        for col in range(2):
            lx, vx = xs[2 * col], xs[2 * col + 1]
            _text(d, ((lx + vx) / 2, (ys[row] + ys[row + 1]) / 2), labels[row][col],
                  anchor="mm")
            r = (vx, ys[row], xs[2 * col + 2] + 1, ys[row + 1] + 1)
            f.truth.append(Truth("text_input", r, labels[row][col],
                                 linked_kind="date" if "日期" in labels[row][col] else None))
    return f


def form_e() -> Form:
    """Underline blanks: 姓名：______."""
    im = Image.new("RGB", (640, 300), "white")
    d = ImageDraw.Draw(im)
    _text(d, (40, 36), "回执", size=22)
    f = Form(im)
    y = 100
    for label in ("姓名：", "联系电话：", "工作单位："):
        w = int(d.textlength(label, font=_font(16)))
        _text(d, (40, y - 10), label)
        x1 = 40 + w + 6
        d.line((x1, y, x1 + 260, y), fill=(0, 0, 0), width=1)
        f.truth.append(Truth("text_input", (x1, y - 32, x1 + 261, y), label.rstrip("：")))
        y += 60
    return f


def form_f() -> Form:
    """A radio group (性别：○男 ○女) and a lone consent checkbox."""
    im = Image.new("RGB", (640, 240), "white")
    d = ImageDraw.Draw(im)
    f = Form(im)
    _text(d, (40, 60), "性别：")
    for x, opt in ((110, "男"), (190, "女")):
        d.ellipse((x, 52, x + 15, 67), outline=(120, 120, 120), width=1)
        _text(d, (x + 24, 60), opt)
        f.truth.append(Truth("radio", (x, 52, x + 16, 68), "性别", option=opt))
    d.rectangle((40, 132, 55, 147), outline=(120, 120, 120), width=1)
    _text(d, (64, 140), "我已阅读并同意用户协议")
    f.truth.append(Truth("checkbox", (40, 132, 56, 148), "我已阅读并同意用户协议",
                         option="我已阅读并同意用户协议"))
    return f


def form_g() -> Form:
    """One input with a rounded border and a #f7f7f7 fill."""
    im = Image.new("RGB", (560, 160), "white")
    d = ImageDraw.Draw(im)
    f = Form(im)
    r = (140, 60, 480, 100)
    _box(d, r, outline=(200, 200, 200), fill=(247, 247, 247), radius=8)
    _text(d, (40, 80), "用户名：")
    f.truth.append(Truth("text_input", r, "用户名"))
    return f


def form_h() -> Form:
    """Tight English option rows (OCR tends to merge them) and a column of checkboxes."""
    im = Image.new("RGB", (720, 300), "white")
    d = ImageDraw.Draw(im)
    f = Form(im)
    for y, label, kind, opts, x in ((50, "Gender:", "radio", ("Male", "Female", "Other"), 112),
                                    (110, "Interests:", "checkbox", ("Music", "Sports", "Travel"),
                                     124)):
        _text(d, (40, y), label, size=15)
        for opt in opts:
            if kind == "radio":
                d.ellipse((x, y - 7, x + 14, y + 7), outline=(140, 140, 140), width=1)
            else:
                d.rectangle((x, y - 7, x + 13, y + 6), outline=(140, 140, 140), width=1)
            _text(d, (x + 20, y), opt, size=15)
            f.truth.append(Truth(kind, (x, y - 7, x + 15 if kind == "radio" else x + 14,
                                        y + 8 if kind == "radio" else y + 7),
                                 label.rstrip(":"), option=opt))
            x += 36 + int(d.textlength(opt, font=_font(15)))
    _text(d, (40, 170), "Contact me by", size=15)
    for k, opt in enumerate(("Email", "Phone")):
        y = 196 + 30 * k
        d.rectangle((40, y, 53, y + 13), outline=(140, 140, 140), width=1)
        _text(d, (60, y + 7), opt, size=15)
        f.truth.append(Truth("checkbox", (40, y, 54, y + 14), "Contact me by", option=opt))
    return f


FORMS = {"a": form_a, "b": form_b, "c": form_c, "d": form_d, "e": form_e, "f": form_f,
         "g": form_g, "h": form_h}


@lru_cache(maxsize=16)
def _run(name: str) -> tuple[Form, list[Element], list[Element]]:
    from tools.perception.ocr_engine import read_text

    form = FORMS[name]()
    found = detect_elements(form.image)
    linked = link_labels(found, read_text(form.image), form.image.size, form.image)
    return form, found, linked


def _near(a: list[int], b: tuple[int, int, int, int]) -> bool:
    return all(abs(p - q) <= TOL for p, q in zip(a, b, strict=True))


def _match(truth: list[Truth], found: list[Element]) -> dict[int, Element]:
    """Truth index → the element at its place (every truth must be found exactly once)."""
    out: dict[int, Element] = {}
    for i, t in enumerate(truth):
        hits = [e for e in found if _near(e.bbox, t.bbox)]
        assert len(hits) == 1, f"{t.kind} {t.bbox}: {[(e.kind, e.bbox) for e in found]}"
        out[i] = hits[0]
    return out


def _ns(text: str | None) -> str | None:
    # The recogniser drops narrow word spaces ("Postalcode") and sometimes a capital's case
    # next to a radio ("○ Other" → "other"); neither is the linker's doing.
    return None if text is None else text.replace(" ", "").lower()


@pytest.mark.parametrize("name", sorted(FORMS))
def test_detect(name: str) -> None:
    form, found, _linked = _run(name)
    assert len(found) == len(form.truth), [(e.kind, e.bbox) for e in found]
    for i, el in _match(form.truth, found).items():
        t = form.truth[i]
        assert el.kind == t.kind, (t, el)
        assert el.label is None and el.source == "layout"
        assert el.editable is (t.kind != "button")
        assert 0.5 <= el.confidence <= 0.95


@pytest.mark.parametrize("name", sorted(FORMS))
def test_link(name: str) -> None:
    form, _found, linked = _run(name)
    assert len(linked) == len(form.truth), [(e.kind, e.bbox, e.label) for e in linked]
    for i, el in _match(form.truth, linked).items():
        t = form.truth[i]
        assert (el.kind, _ns(el.label), _ns(el.option)) == (t.linked_kind or t.kind, _ns(t.label),
                                                            _ns(t.option)), el
        if t.placeholder:
            assert el.placeholder == t.placeholder
        if el.label and el.label != el.placeholder and t.kind not in ("button",):
            assert el.label_bbox is not None


# ---------------------------------------------------------------------------- robustness

def _scaled(im: Image.Image, k: float) -> Image.Image:
    return im.resize((round(im.width * k), round(im.height * k)), Image.Resampling.LANCZOS)


def _jpeg(im: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=70)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


VARIANTS = {"hidpi2x": (lambda im: _scaled(im, 2.0), 2.0), "shrunk0.8": (lambda im: _scaled(
    im, 0.8), 0.8), "jpeg70": (_jpeg, 1.0), "dark": (ImageOps.invert, 1.0)}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("name", ["a", "d", "e", "f", "g"])
def test_detect_survives_resampling_compression_and_dark_theme(name: str, variant: str) -> None:
    """A screenshot at another density, saved as JPEG or in a dark theme: same controls."""
    form = FORMS[name]()
    change, k = VARIANTS[variant]
    found = detect_elements(change(form.image))
    assert len(found) == len(form.truth), [(e.kind, e.bbox) for e in found]
    tol = 4 * k + 3
    for t in form.truth:
        want = [round(v * k) for v in t.bbox]
        hits = [e for e in found if all(abs(p - q) <= tol for p, q in zip(e.bbox, want, strict=True))]
        assert [e.kind for e in hits] == [t.kind], (t, [(e.kind, e.bbox) for e in found])


def form_mobile() -> tuple[Image.Image, list[tuple[str, str, str]]]:
    """A phone's list-style form: label, grey prompt, a separator; no boxes at all."""
    im = Image.new("RGB", (750, 760), (245, 245, 245))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, 750, 88), fill="white")
    _text(d, (375, 44), "填写资料", size=30, anchor="mm")
    d.rectangle((0, 110, 750, 510), fill="white")
    rows = [("姓名", "请输入姓名", "text_input"), ("手机号", "请输入手机号", "text_input"),
            ("所在地区", "请选择 >", "select"), ("详细地址", "请输入详细地址", "text_input")]
    for i, (label, prompt, _kind) in enumerate(rows):
        cy = 160 + 100 * i
        _text(d, (32, cy), label, size=30)
        _text(d, (220, cy), prompt, size=30, fill=(180, 180, 180))
        if i < len(rows) - 1:
            d.line((32, cy + 50, 750, cy + 50), fill=(230, 230, 230), width=2)
    d.rounded_rectangle((32, 600, 717, 690), radius=45, fill=(7, 193, 96))
    _text(d, (375, 645), "提交", size=30, fill=(255, 255, 255), anchor="mm")
    return im, rows


def test_link_mobile_list_rows_without_boxes() -> None:
    """Rows of "label  grey prompt" with no box become synthesised inputs (confidence 0.4)."""
    from tools.perception.ocr_engine import read_text

    im, rows = form_mobile()
    found = detect_elements(im)
    assert [e.kind for e in found] == ["button"]
    linked = link_labels(found, read_text(im), im.size, im)
    fields = sorted((e for e in linked if e.editable), key=lambda e: e.bbox[1])
    assert [(e.label, e.kind) for e in fields] == [(label, kind) for label, _p, kind in rows]
    for e, (_label, prompt, _kind) in zip(fields, rows, strict=True):
        assert e.placeholder == prompt.rstrip(" >") and e.confidence == 0.4
        assert e.bbox[0] < 220 < e.bbox[2] and e.bbox[2] > 600  # the prompt's row, to the edge


def test_link_without_image_splits_label_off_a_merged_block() -> None:
    """OCR read "姓名：张三" as one block across the box's edge: the label is split off."""
    box = Element(kind="text_input", bbox=[100, 20, 400, 56])
    blocks = [TextBlock(text="姓名：张三", bbox=[40, 28, 150, 48], confidence=0.9),
              TextBlock(text="*电话：", bbox=[30, 88, 94, 108], confidence=0.9)]
    other = Element(kind="text_input", bbox=[100, 80, 400, 116])
    first, second = link_labels([box, other], blocks, (500, 140))
    assert (first.label, first.placeholder) == ("姓名", None)  # 张三 is a typed value
    assert first.label_bbox is not None and first.label_bbox[2] <= 100
    assert (second.label, second.label_bbox) == ("电话", [30, 88, 94, 108])
    assert box.label is None  # the inputs are not modified


@pytest.mark.slow
def test_link_synthesises_an_input_after_a_colon_label_with_blank_space() -> None:
    """A "label：" with nothing after it (the detector missed the field) gets an input."""
    from tools.perception.ocr_engine import read_text

    im = Image.new("RGB", (600, 120), "white")
    d = ImageDraw.Draw(im)
    _text(d, (40, 60), "备注：")
    found = detect_elements(im)
    assert found == []
    (el,) = link_labels(found, read_text(im), im.size, im)
    assert (el.kind, el.label, el.confidence) == ("text_input", "备注", 0.4)
    assert el.bbox[0] >= 85 and el.bbox[2] - el.bbox[0] >= 60 and el.bbox[1] < 60 < el.bbox[3]
