"""Synthetic form generator: draw a form with Pillow from a spec, return the image + ground truth.

A :class:`FormSpec` describes a form (language, layout, columns, style knobs and a list of
:class:`FieldSpec`); :func:`render` draws it and returns ``(PIL.Image, truth)`` where ``truth``
is a JSON-ready dict::

    {"id": …, "lang": "zh", "layout": "left", "size": [w, h],
     "fields": [{"key": "name", "label": "姓名", "kind": "text_input",
                 "label_bbox": [x1, y1, x2, y2], "bbox": [x1, y1, x2, y2], "option": None}, …],
     "extras": [{"kind": "button", "text": "提交", "bbox": […]}, …]}

``bbox`` is the editable region in pixels (for a radio/checkbox: the small circle/box of one
option, with one truth entry per option). ``extras`` lists things that look like controls but
take no value (buttons, the printed signature line) so benchmarks can tell false positives.

Rendering is a pure function of the spec: the same spec gives the same bytes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel, Field

from tools.common.fonts import sc_face_index

Lang = Literal["zh", "en"]
LayoutName = Literal["left", "above", "placeholder", "table", "underline", "mixed"]
Kind = Literal["text_input", "textarea", "select", "radio", "checkbox", "date"]
Box = list[int]

CANONICAL_KEYS: tuple[str, ...] = (
    "name", "first_name", "last_name", "gender", "birth_date", "nationality", "ethnicity",
    "id_type", "id_number", "id_expiry", "phone", "landline", "email", "address", "city",
    "postcode", "country", "occupation", "employer", "job_title", "marital_status",
    "education", "annual_income", "account_type", "emergency_contact", "emergency_phone",
    "policy_number", "claim_date", "claim_amount", "signature_date",
    "consent",  # the "I agree to the terms" checkbox
)

NOTO_REGULAR = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NOTO_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
DEJAVU_REGULAR = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

MIN_FONT = 14
MIN_INPUT_HEIGHT = 28
RADIO_SIZE = 16


class FieldSpec(BaseModel):
    """One field of a form: what it is called, how it is drawn."""

    key: str = Field(description="Canonical key (see CANONICAL_KEYS).")
    label: str = Field(description="The printed label text (no star, no suffix).")
    kind: Kind = Field(default="text_input", description="Control kind.")
    options: list[str] = Field(default_factory=list, description="Radio/select/checkbox options.")
    placeholder: str | None = Field(default=None, description="Grey hint text inside the box.")
    width: int | None = Field(default=None, description="Input width in px (None: fill the cell).")
    required: bool = Field(default=False, description="Print a red * before the label.")
    full_row: bool = Field(default=False, description="Take a whole row in a 2-column form.")
    layout: LayoutName | None = Field(default=None, description="Per-field layout (mixed forms).")
    section: str | None = Field(default=None, description="Section heading this field is under.")


class Style(BaseModel):
    """Look-and-feel knobs."""

    border: str = Field(default="#c0c0c0", description="Input border colour.")
    border_width: int = Field(default=1, description="Input border width (1 or 2).")
    fill: str = Field(default="#ffffff", description="Input fill (#ffffff or #f7f7f7).")
    radius: int = Field(default=4, description="Corner radius (0 = square).")
    label_color: str = Field(default="#333333", description="Label text colour.")
    label_align: Literal["left", "right"] = Field(default="right", description="Left-layout labels.")
    label_suffix: str = Field(default="：", description="Printed after labels: '：', ':' or ''.")
    title_bold: bool = Field(default=True, description="Bold title.")
    title_align: Literal["center", "left"] = Field(default="center", description="Title alignment.")
    header_band: str | None = Field(default=None, description="Colour of a header band, or None.")
    accent: str = Field(default="#1677ff", description="Button / section accent colour.")
    page_bg: str | None = Field(default=None, description="Page colour around a white card.")
    card_width: int | None = Field(default=None, description="Width of the centred form card.")
    font: Literal["noto", "dejavu"] = Field(default="noto", description="Latin font (en forms).")
    input_height: int = Field(default=36, description="Single-line input height (>= 28).")
    row_gap: int = Field(default=20, description="Vertical gap between rows.")
    grid_color: str = Field(default="#8c8c8c", description="Table grid line colour.")
    table_label_fill: str | None = Field(default="#f2f2f2", description="Table label cell fill.")
    section_style: Literal["bar", "band", "rule"] = Field(default="bar", description="Headings.")
    button_align: Literal["center", "left"] = Field(default="center", description="Buttons.")
    underline_width: int = Field(default=1, description="Underline layout line width (1-2).")


class FormSpec(BaseModel):
    """A whole form."""

    id: str
    lang: Lang = "zh"
    title: str = ""
    subtitle: str | None = Field(default=None, description="Instructions paragraph.")
    layout: LayoutName = "left"
    columns: Literal[1, 2] = 1
    width: int = 1000
    font_size: int = 16
    style: Style = Field(default_factory=Style)
    fields: list[FieldSpec] = Field(default_factory=list)
    submit: str | None = Field(default=None, description="Submit button text (None: default).")
    secondary_button: str | None = Field(default=None, description="E.g. 重置 / Cancel.")
    footer_note: str | None = Field(default=None, description="Small print under the buttons.")
    signature_line: bool = Field(default=False, description="Print 客户签名：____ 日期：____.")
    signature_text: str | None = Field(default=None, description="Signature caption (客户签名).")


# --------------------------------------------------------------------------- fonts


@lru_cache(maxsize=64)
def get_font(size: int, bold: bool = False, family: str = "noto") -> ImageFont.FreeTypeFont:
    """A font of ``size`` px (never below 14): Noto CJK SC, or DejaVu for Latin-only text."""
    size = max(MIN_FONT, size)
    if family == "dejavu":
        return ImageFont.truetype(DEJAVU_BOLD if bold else DEJAVU_REGULAR, size)
    return ImageFont.truetype(NOTO_BOLD if bold else NOTO_REGULAR, size, index=sc_face_index(NOTO_REGULAR))


# --------------------------------------------------------------------------- painter

_PLACEHOLDER_GREY = "#a8a8a8"
_TEXT_DARK = "#222222"


def _union(a: Box, b: Box) -> Box:
    return [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]


class _Painter:
    """Draws one form top to bottom, collecting ground truth as it goes."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.st = spec.style
        self.zh = spec.lang == "zh"
        family = "noto" if self.zh else spec.style.font
        fs = max(MIN_FONT, spec.font_size)
        self.fs = fs
        self.font = get_font(fs, False, family)
        self.bold = get_font(fs, True, family)
        self.small = get_font(max(MIN_FONT, fs - 2), False, family)
        self.title_font = get_font(fs + 10, spec.style.title_bold, family)
        self.section_font = get_font(fs + 1, True, family)
        self.ih = max(MIN_INPUT_HEIGHT, spec.style.input_height, fs + 12)
        self.ta_h = int(self.ih * 2.6)
        self.img = Image.new("RGB", (spec.width, 8000), spec.style.page_bg or "#ffffff")
        self.d = ImageDraw.Draw(self.img)
        # card geometry
        w = spec.width
        if spec.style.card_width and spec.style.card_width < w:
            self.card_x1 = (w - spec.style.card_width) // 2
            self.card_x2 = self.card_x1 + spec.style.card_width
        else:
            self.card_x1, self.card_x2 = 0, w
        self.card_top = 32 if spec.style.page_bg else 0
        self.margin = 48 if (self.card_x2 - self.card_x1) >= 1000 else 36
        self.x1 = self.card_x1 + self.margin
        self.x2 = self.card_x2 - self.margin
        self.col_gap = 48
        self.y = self.card_top
        self.fields: list[dict[str, Any]] = []
        self.extras: list[dict[str, Any]] = []
        self.label_w = self._left_label_width()

    # ----------------------------------------------------------------- text helpers

    def text(self, x: float, y_mid: float, s: str, font: ImageFont.FreeTypeFont,
             fill: str = _TEXT_DARK, anchor: str = "lm") -> Box:
        """Draw ``s`` vertically centred on ``y_mid``; return its ink box."""
        self.d.text((x, y_mid), s, font=font, fill=fill, anchor=anchor)
        b = self.d.textbbox((x, y_mid), s, font=font, anchor=anchor)
        return [int(b[0]), int(b[1]), int(b[2]) + 1, int(b[3]) + 1]

    def tw(self, s: str, font: ImageFont.FreeTypeFont | None = None) -> int:
        return round(self.d.textlength(s, font=font or self.font))

    def label_text(self, f: FieldSpec, suffix: bool = True) -> str:
        return f.label + (self.st.label_suffix if suffix else "")

    def label_width(self, f: FieldSpec, suffix: bool = True) -> int:
        star = self.tw("* ") if f.required else 0
        return star + self.tw(self.label_text(f, suffix))

    def draw_label(self, x: float, y_mid: float, f: FieldSpec, suffix: bool = True,
                   right_edge: float | None = None) -> Box:
        """Draw the (optionally starred) label; right-aligned to ``right_edge`` if given."""
        if right_edge is not None:
            x = right_edge - self.label_width(f, suffix)
        box: Box | None = None
        if f.required:
            box = self.text(x, y_mid, "*", self.font, fill="#e02020")
            x += self.tw("* ")
        lb = self.text(x, y_mid, self.label_text(f, suffix), self.font, fill=self.st.label_color)
        return _union(box, lb) if box else lb

    def wrap(self, s: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
        lines: list[str] = []
        if self.zh:
            line = ""
            for ch in s:
                if self.tw(line + ch, font) > width and line:
                    lines.append(line)
                    line = ch
                else:
                    line += ch
            if line:
                lines.append(line)
            return lines
        cur = ""
        for word in s.split():
            cand = f"{cur} {word}".strip()
            if self.tw(cand, font) > width and cur:
                lines.append(cur)
                cur = word
            else:
                cur = cand
        if cur:
            lines.append(cur)
        return lines

    # ----------------------------------------------------------------- layout helpers

    def eff_layout(self, f: FieldSpec) -> str:
        lay = f.layout or self.spec.layout
        return "left" if lay == "mixed" else lay

    def _left_label_width(self) -> int:
        widths = [self.label_width(f) for f in self.spec.fields
                  if self.eff_layout(f) == "left" and not _is_consent(f)]
        return max(widths, default=0)

    def add_truth(self, f: FieldSpec, label_bbox: Box | None, bbox: Box,
                  option: str | None = None, label: str | None = None) -> None:
        self.fields.append({
            "key": f.key, "label": label if label is not None else f.label, "kind": f.kind,
            "label_bbox": label_bbox, "bbox": [int(v) for v in bbox], "option": option,
        })

    # ----------------------------------------------------------------- primitives

    def box(self, b: Box, fill: str | None = None, outline: str | None = None,
            width: int | None = None, radius: int | None = None) -> None:
        r = self.st.radius if radius is None else radius
        fill = self.st.fill if fill is None else fill
        outline = self.st.border if outline is None else outline
        width = self.st.border_width if width is None else width
        if r > 0:
            self.d.rounded_rectangle(b, radius=r, fill=fill, outline=outline, width=width)
        else:
            self.d.rectangle(b, fill=fill, outline=outline, width=width)

    def triangle(self, x_right: float, y_mid: float, color: str = "#666666") -> None:
        """A small filled ▼ ending at ``x_right``."""
        w, h = 10, 6
        x0 = x_right - w
        self.d.polygon([(x0, y_mid - h / 2), (x0 + w, y_mid - h / 2), (x0 + w / 2, y_mid + h / 2)],
                       fill=color)

    def calendar_icon(self, x_right: float, y_mid: float) -> None:
        x0, y0 = x_right - 14, y_mid - 7
        self.d.rectangle([x0, y0 + 2, x0 + 14, y0 + 14], outline="#8a8a8a", width=1)
        self.d.rectangle([x0, y0 + 2, x0 + 14, y0 + 5], fill="#8a8a8a")
        self.d.line([x0 + 4, y0, x0 + 4, y0 + 3], fill="#8a8a8a", width=1)
        self.d.line([x0 + 10, y0, x0 + 10, y0 + 3], fill="#8a8a8a", width=1)

    def control(self, f: FieldSpec, b: Box, placeholder: str | None, in_table: bool = False) -> None:
        """Draw a text_input/textarea/select/date control occupying ``b``."""
        x1, y1, x2, y2 = b
        if not in_table:
            self.box(b)
        pad = 8 if in_table else 10
        line_mid = (y1 + y2) / 2 if in_table else y1 + min(self.ih, y2 - y1) / 2
        right_reserve = 0
        if f.kind == "select":
            self.triangle(x2 - pad - 2, (y1 + y2) / 2)
            right_reserve = 24
            if placeholder is None and not in_table:
                placeholder = "请选择" if self.zh else "Select…"
            line_mid = (y1 + y2) / 2
        elif f.kind == "date" and not in_table:
            self.calendar_icon(x2 - pad, (y1 + y2) / 2)
            right_reserve = 24
        if placeholder:
            avail = x2 - x1 - 2 * pad - right_reserve
            text = placeholder
            while self.tw(text, self.font) > avail and len(text) > 1:
                text = text[:-1]
            if f.kind == "textarea":
                line_mid = y1 + pad + self.fs * 0.7
            self.text(x1 + pad, line_mid, text, self.font, fill=_PLACEHOLDER_GREY)
        if f.kind == "textarea" and not in_table:
            # resize grip
            for k in (4, 8):
                self.d.line([x2 - 3 - k, y2 - 3, x2 - 3, y2 - 3 - k], fill="#b0b0b0", width=1)

    def options_row(self, f: FieldSpec, x: float, x_max: float, y_mid: float,
                    label_bbox: Box | None, label: str | None = None) -> float:
        """Draw radio circles / checkbox squares with option text; return the end x."""
        s = RADIO_SIZE
        for opt in f.options:
            ow = s + 8 + self.tw(opt)
            b = [int(x), round(y_mid - s / 2), int(x) + s, round(y_mid - s / 2) + s]
            if f.kind == "radio":
                self.d.ellipse(b, fill="#ffffff", outline="#8c8c8c", width=1)
            else:
                self.d.rounded_rectangle(b, radius=2, fill="#ffffff", outline="#8c8c8c", width=1)
            self.text(b[2] + 8, y_mid, opt, self.font, fill=_TEXT_DARK)
            self.add_truth(f, label_bbox, b, option=opt, label=label)
            x += ow + 28
        return x

    # ----------------------------------------------------------------- header / footer

    def header(self) -> None:
        spec, st = self.spec, self.st
        if st.page_bg:
            # the card is drawn first so everything sits on white
            self.d.rectangle([self.card_x1, self.card_top, self.card_x2, 7990], fill="#ffffff",
                             outline="#e3e3e3")
        if st.header_band:
            band_h = self.fs + 56
            self.d.rectangle([self.card_x1, self.y, self.card_x2, self.y + band_h],
                             fill=st.header_band)
            mid = self.y + band_h / 2
            if st.title_align == "center":
                self.text((self.card_x1 + self.card_x2) / 2, mid, spec.title, self.title_font,
                          fill="#ffffff", anchor="mm")
            else:
                self.text(self.x1, mid, spec.title, self.title_font, fill="#ffffff")
            self.y += band_h + 28
        else:
            self.y += 36
            mid = self.y + (self.fs + 10) * 0.7
            if st.title_align == "center":
                tb = self.text((self.card_x1 + self.card_x2) / 2, mid, spec.title,
                               self.title_font, fill="#1a1a1a", anchor="mm")
            else:
                tb = self.text(self.x1, mid, spec.title, self.title_font, fill="#1a1a1a")
            self.y = tb[3] + 14
            self.d.line([self.x1, self.y, self.x2, self.y], fill=st.accent if st.section_style
                        == "rule" else "#d9d9d9", width=2 if st.section_style == "rule" else 1)
            self.y += 22
        if spec.subtitle:
            lh = int(self.small.size * 1.6)
            for line in self.wrap(spec.subtitle, self.small, self.x2 - self.x1):
                self.text(self.x1, self.y + lh / 2, line, self.small, fill="#666666")
                self.y += lh
            self.y += 18

    def section(self, title: str) -> None:
        st = self.st
        if self.fields:
            self.y += 12  # breathing room after the previous block
        h = self.fs + 16
        mid = self.y + h / 2
        if st.section_style == "band":
            self.d.rectangle([self.x1, self.y, self.x2, self.y + h], fill="#eef3fb")
            self.text(self.x1 + 12, mid, title, self.section_font, fill="#1a1a1a")
        elif st.section_style == "bar":
            self.d.rectangle([self.x1, mid - self.fs / 2 - 1, self.x1 + 4, mid + self.fs / 2 + 1],
                             fill=st.accent)
            self.text(self.x1 + 14, mid, title, self.section_font, fill="#1a1a1a")
        else:
            self.text(self.x1, mid, title, self.section_font, fill="#1a1a1a")
            self.d.line([self.x1, self.y + h + 2, self.x2, self.y + h + 2], fill="#e0e0e0")
        self.y += h + 18

    def buttons(self) -> None:
        spec, st = self.spec, self.st
        submit = spec.submit or ("提交" if self.zh else "Submit")
        font = self.bold
        bh = self.ih + 4
        specs = [(submit, st.accent, "#ffffff")]
        if spec.secondary_button:
            specs.append((spec.secondary_button, "#e8e8e8", "#333333"))
        widths = [max(self.tw(t, font) + 56, 112) for t, _, _ in specs]
        total = sum(widths) + 20 * (len(widths) - 1)
        if st.button_align == "center":
            x = (self.card_x1 + self.card_x2 - total) / 2
        else:
            x = self.x1 + (self.label_w + 16 if spec.layout == "left" else 0)
        self.y += 12
        for (text, bg, fg), w in zip(specs, widths, strict=True):
            b = [int(x), self.y, int(x + w), self.y + bh]
            self.d.rounded_rectangle(b, radius=6, fill=bg)
            self.text((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, text, font, fill=fg, anchor="mm")
            self.extras.append({"kind": "button", "text": text, "bbox": b})
            x += w + 20
        self.y += bh + 28

    def footer(self) -> None:
        spec = self.spec
        if spec.signature_line:
            sig = spec.signature_text or ("客户签名" if self.zh else "Signature")
            sig += "：" if self.zh else ": "
            date = "日期：" if self.zh else "Date: "
            y_mid = self.y + self.ih / 2
            x = self.x1
            lb1 = self.text(x, y_mid, sig, self.font)
            x = lb1[2] + 6
            line_y = int(y_mid + self.fs / 2 + 2)
            self.d.line([x, line_y, x + 200, line_y], fill="#333333", width=1)
            box1 = [int(x), int(line_y - self.ih), int(x + 200), line_y]
            x += 240
            lb2 = self.text(x, y_mid, date, self.font)
            x = lb2[2] + 6
            self.d.line([x, line_y, x + 160, line_y], fill="#333333", width=1)
            box2 = [int(x), int(line_y - self.ih), int(x + 160), line_y]
            self.extras.append({"kind": "signature_line", "text": sig.rstrip("：: "),
                                "label_bbox": lb1, "bbox": box1})
            self.extras.append({"kind": "signature_line", "text": date.rstrip("：: "),
                                "label_bbox": lb2, "bbox": box2})
            self.y += self.ih + 20
        if spec.footer_note:
            lh = int(self.small.size * 1.6)
            for line in self.wrap(spec.footer_note, self.small, self.x2 - self.x1):
                self.text(self.x1, self.y + lh / 2, line, self.small, fill="#888888")
                self.y += lh
            self.y += 12

    # ----------------------------------------------------------------- field cells

    def cell_height(self, f: FieldSpec, layout: str) -> int:
        h = self.ta_h if f.kind == "textarea" else self.ih
        if layout == "above":
            h += int(self.fs * 1.5) + 6
        return h

    def draw_cell(self, f: FieldSpec, layout: str, x1: int, x2: int, y: int) -> int:
        """Draw one field in the horizontal span [x1, x2] starting at ``y``; return height."""
        if _is_consent(f):
            return self.draw_consent(f, x1, y)
        ih = self.ih
        if layout == "left":
            cx = x1 + self.label_w + 12
            y_mid = y + ih / 2
            if self.st.label_align == "right":
                lb = self.draw_label(x1, y_mid, f, right_edge=x1 + self.label_w)
            else:
                lb = self.draw_label(x1, y_mid, f)
            return self.draw_control(f, lb, cx, x2, y)
        if layout == "above":
            lh = int(self.fs * 1.5)
            lb = self.draw_label(x1, y + lh / 2, f)
            return lh + 6 + self.draw_control(f, lb, x1, x2, y + lh + 6)
        if layout == "placeholder":
            if f.kind in ("radio", "checkbox"):
                lb = self.draw_label(x1, y + ih / 2, f)
                return self.draw_control(f, lb, lb[2] + 16, x2, y)
            ph = f.placeholder or f.label
            return self.draw_control(f, None, x1, x2, y, placeholder=ph, truth_label=ph)
        if layout == "underline":
            return self.draw_underline(f, x1, x2, y)
        raise ValueError(f"layout {layout!r} is not a flow layout")

    def draw_control(self, f: FieldSpec, lb: Box | None, cx: int, x2: int, y: int,
                     placeholder: str | None = None, truth_label: str | None = None) -> int:
        if f.kind in ("radio", "checkbox"):
            self.options_row(f, cx + 2, x2, y + self.ih / 2, lb)
            return self.ih
        h = self.ta_h if f.kind == "textarea" else self.ih
        right = x2 if f.width is None else min(x2, cx + f.width)
        b = [int(cx), int(y), int(right), int(y + h)]
        self.control(f, b, placeholder if placeholder is not None else f.placeholder)
        self.add_truth(f, lb, b, label=truth_label)
        return h

    def draw_underline(self, f: FieldSpec, x1: int, x2: int, y: int) -> int:
        ih = self.ih
        line_y = y + ih
        lb = self.draw_label(x1, line_y - ih * 0.42, f)
        lx1 = lb[2] + 8
        if f.kind in ("radio", "checkbox"):
            self.options_row(f, lx1 + 6, x2, line_y - ih * 0.42, lb)
            return ih
        lx2 = x2 if f.width is None else min(x2, lx1 + f.width)
        n_lines = 2 if f.kind == "textarea" else 1
        uw = self.st.underline_width
        for i in range(n_lines):
            ly = line_y + i * ih
            self.d.line([lx1, ly, lx2, ly], fill="#333333", width=uw)
        bottom = line_y + (n_lines - 1) * ih
        b = [int(lx1), int(y + 1), int(lx2), int(bottom - 1)]
        mid = line_y - ih * 0.42
        if f.kind == "select":
            self.triangle(lx2 - 4, mid)
        if f.placeholder:
            self.text(lx1 + 6, mid, f.placeholder, self.font, fill=_PLACEHOLDER_GREY)
        self.add_truth(f, lb, b)
        return bottom - y + uw

    def draw_consent(self, f: FieldSpec, x: int, y: int) -> int:
        s = RADIO_SIZE
        y_mid = y + self.ih / 2
        b = [x, round(y_mid - s / 2), x + s, round(y_mid - s / 2) + s]
        self.d.rounded_rectangle(b, radius=2, fill="#ffffff", outline="#8c8c8c", width=1)
        tb = self.text(b[2] + 10, y_mid, f.label, self.font, fill=self.st.label_color)
        self.add_truth(f, tb, b, option=f.options[0] if f.options else f.label)
        return self.ih

    # ----------------------------------------------------------------- blocks

    def flow_block(self, fields: list[FieldSpec], layout: str) -> None:
        cols = self.spec.columns
        span = self.x2 - self.x1
        cw = (span - (cols - 1) * self.col_gap) // cols
        rows: list[list[FieldSpec]] = []
        for f in fields:
            wide = cols == 1 or f.full_row or f.kind == "textarea" or _is_consent(f)
            if wide or not rows or len(rows[-1]) >= cols or _is_wide_row(rows[-1]):
                rows.append([f])
            else:
                rows[-1].append(f)
        for row in rows:
            heights = []
            for i, f in enumerate(row):
                if len(row) == 1 and (f.full_row or f.kind == "textarea" or _is_consent(f)):
                    x1, x2 = self.x1, self.x2
                else:
                    x1 = self.x1 + i * (cw + self.col_gap)
                    x2 = x1 + cw
                heights.append(self.draw_cell(f, layout, x1, x2, self.y))
            self.y += max(heights) + self.st.row_gap

    def table_block(self, fields: list[FieldSpec]) -> None:
        cols = self.spec.columns
        pad = 10
        lw = max(self.tw(f.label) + (self.tw("* ") if f.required else 0) for f in fields)
        lw += 2 * pad
        span = self.x2 - self.x1
        vw = (span - cols * lw) // cols
        rh = self.ih + 12
        gc = self.st.grid_color
        rows: list[list[FieldSpec]] = []
        for f in fields:
            wide = f.full_row or f.kind == "textarea" or (f.kind in ("radio", "checkbox")
                                                          and len(f.options) > 3)
            if cols == 1 or wide or not rows or len(rows[-1]) >= cols or _is_wide_row(rows[-1]):
                rows.append([f])
            else:
                rows[-1].append(f)
        top = self.y
        y = top
        for row in rows:
            h = max(int(self.ta_h + 12) if f.kind == "textarea" else rh for f in row)
            x = self.x1
            for i, f in enumerate(row):
                last = i == len(row) - 1
                lx1, lx2 = x, x + lw
                vx1 = lx2
                vx2 = self.x2 if last else vx1 + vw
                if self.st.table_label_fill:
                    self.d.rectangle([lx1 + 1, y + 1, lx2 - 1, y + h - 1],
                                     fill=self.st.table_label_fill)
                # label vertically centred (textarea: first line)
                lmid = y + (h / 2 if f.kind != "textarea" else rh / 2)
                lb = self.draw_label(lx1 + pad, lmid, f, suffix=False)
                if f.kind in ("radio", "checkbox"):
                    self.options_row(f, vx1 + pad, vx2, y + h / 2, lb)
                else:
                    b = [vx1 + 3, y + 3, vx2 - 3, y + h - 3]
                    self.control(f, b, f.placeholder, in_table=True)
                    self.add_truth(f, lb, b)
                x = vx2
            # grid lines of this row
            x = self.x1
            self.d.line([self.x1, y + h, self.x2, y + h], fill=gc, width=1)
            for i, _f in enumerate(row):
                last = i == len(row) - 1
                self.d.line([x + lw, y, x + lw, y + h], fill=gc, width=1)
                x = self.x2 if last else x + lw + vw
                if not last:
                    self.d.line([x, y, x, y + h], fill=gc, width=1)
            y += h
        self.d.rectangle([self.x1, top, self.x2, y], outline=gc, width=1)
        self.d.line([self.x1, top, self.x2, top], fill=gc, width=1)
        self.y = y + self.st.row_gap + 8

    def body(self) -> None:
        # group consecutive fields by (section, layout); consent boxes go in their own block
        blocks: list[tuple[str | None, str, list[FieldSpec]]] = []
        current_section: str | None = None
        for f in self.spec.fields:
            lay = "consent" if _is_consent(f) else self.eff_layout(f)
            sec = f.section
            if blocks and blocks[-1][0] == sec and blocks[-1][1] == lay:
                blocks[-1][2].append(f)
            else:
                blocks.append((sec, lay, [f]))
        for sec, lay, fields in blocks:
            if sec and sec != current_section:
                self.section(sec)
                current_section = sec
            if lay == "table":
                self.table_block(fields)
            elif lay == "consent":
                for f in fields:
                    x = self.x1 + (self.label_w + 12 if self.spec.layout == "left" else 0)
                    self.y += self.draw_consent(f, x, self.y) + self.st.row_gap
            else:
                self.flow_block(fields, lay)

    def finish(self) -> Image.Image:
        bottom = self.y + 16
        if self.st.page_bg:
            self.d.rectangle([self.card_x1, bottom, self.card_x2, 8000], fill=self.st.page_bg)
            self.d.line([self.card_x1, bottom, self.card_x2, bottom], fill="#e3e3e3")
            bottom += 32
        return self.img.crop((0, 0, self.spec.width, bottom))


def _is_consent(f: FieldSpec) -> bool:
    return f.kind == "checkbox" and (not f.options or (len(f.options) == 1
                                                        and f.options[0] == f.label))


def _is_wide_row(row: list[FieldSpec]) -> bool:
    return any(f.full_row or f.kind == "textarea" or _is_consent(f) for f in row)


def render(spec: FormSpec) -> tuple[Image.Image, dict[str, Any]]:
    """Draw ``spec``; return the RGB image and its ground truth (see the module docstring)."""
    p = _Painter(spec)
    p.header()
    p.body()
    p.buttons()
    p.footer()
    image = p.finish()
    truth = {
        "id": spec.id, "lang": spec.lang, "layout": spec.layout,
        "size": [image.width, image.height], "title": spec.title,
        "fields": p.fields, "extras": p.extras,
    }
    return image, truth
