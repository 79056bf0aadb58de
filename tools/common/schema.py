"""Plain data records the tools produce and consume (no graph knowledge).

Every box is ``[x1, y1, x2, y2]`` in integer pixels of the *original* image. The graph's
state reuses these records, so a tool's output goes into the state unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Box = list[int]
"""``[x1, y1, x2, y2]`` integer pixels of the original image, x2 > x1 and y2 > y1."""

ElementKind = Literal[
    "text_input", "textarea", "select", "checkbox", "radio", "button", "upload", "date"
]
Action = Literal["input_text", "select_option", "check", "uncheck", "upload_file", "click"]


class TextBlock(BaseModel):
    """One line of text found by OCR."""

    text: str = Field(description="The recognised text, as read.")
    bbox: Box = Field(description="Axis-aligned box around the text.")
    confidence: float = Field(ge=0.0, le=1.0, description="Recogniser score.")
    image_id: str = Field(default="", description="Which input image the text is on.")


class KeyValue(BaseModel):
    """A printed "key: value" pair (a filled form, a receipt, an ID card)."""

    key: str = Field(description="The key as printed, without its colon.")
    value: str = Field(description="The value as printed.")
    image_id: str = Field(default="", description="Which input image it is on.")


class Table(BaseModel):
    """A table read off an image: rows of cell texts, header row first."""

    rows: list[list[str]] = Field(description="Cell texts, row by row.")
    image_id: str = Field(default="", description="Which input image it is on.")


class Element(BaseModel):
    """One UI control found on the image (an editable region or a button)."""

    kind: ElementKind = Field(description="What sort of control it is.")
    bbox: Box = Field(description="The editable region (for a checkbox: the box itself).")
    label: str | None = Field(default=None, description="The label text that names it.")
    label_bbox: Box | None = Field(default=None, description="Where that label is.")
    option: str | None = Field(
        default=None, description="For a checkbox/radio: the option text beside it (e.g. 男)."
    )
    placeholder: str | None = Field(default=None, description="Text printed inside the region.")
    editable: bool = Field(default=True, description="False for buttons and static text.")
    confidence: float = Field(default=0.5, ge=0.0, le=1.0, description="Detection confidence.")
    image_id: str = Field(default="", description="Which input image it is on.")
    source: str = Field(default="layout", description="Who found it: layout | model | hybrid.")


class UserDatum(BaseModel):
    """One value the user supplied, with the canonical key it belongs to."""

    key: str = Field(description="Canonical field key from the lexicon (name, id_number, …), or a free label.")
    value: str = Field(description="The value exactly as the user gave it.")
    source: Literal["request", "profile"] = Field(description="Where the value came from.")
    raw_label: str | None = Field(default=None, description="How the user named it, if they did.")
    span: tuple[int, int] | None = Field(
        default=None, description="Character span of the value in the request text."
    )


class Validation(BaseModel):
    """The result of checking one value against the rules for its key."""

    valid: bool | None = Field(description="True/False; None when no rule applies.")
    message: str | None = Field(default=None, description="Why it failed (or a note).")
    normalized: str | None = Field(
        default=None, description="Canonical form when the rule defines one (ISO dates)."
    )


class ImageRef(BaseModel):
    """One input image, stored once on disk by content hash."""

    id: str = Field(description="Short id used in boxes' provenance: img1, img2, …")
    name: str = Field(description="Where it came from (file name, 'data-uri', …).")
    path: str = Field(description="PNG in the content-addressed store (upright RGB).")
    sha256: str = Field(description="Hash of the source bytes: the image's identity.")
    width: int = Field(description="Original width in pixels.")
    height: int = Field(description="Original height in pixels.")
    model_width: int = Field(description="Width sent to the model under the pixel budget.")
    model_height: int = Field(description="Height sent to the model under the pixel budget.")


class VideoRef(BaseModel):
    """A video given as input, stored once by content (like images)."""

    id: str = Field(description="vid1, vid2, … in input order.")
    name: str = Field(description="Its file name (or data-uri).")
    path: str = Field(description="Where the stored copy is.")
    sha256: str = Field(description="Hash of its bytes.")


class FilledField(BaseModel):
    """One field of the answer: where it is, what goes in, and how sure we are."""

    label: str = Field(description="The form's label for the field.")
    bbox: Box = Field(description="Editable region (original pixels).")
    value: str = Field(description="What to enter or which option to choose.")
    action: Action = Field(description="input_text, select_option, check, …")
    confidence: float = Field(ge=0.0, le=1.0, description="Combined detection × match score.")
    valid: bool | None = Field(default=None, description="Validator verdict; None: no rule.")
    message: str | None = Field(default=None, description="Why validation failed.")
    key: str = Field(description="Canonical key the label was matched to.")
    kind: ElementKind = Field(description="The control's kind.")
    option: str | None = Field(default=None, description="Radio/checkbox option text.")
    image_id: str = Field(default="img1", description="Which image the field is on.")
    provenance: dict[str, Any] = Field(
        default_factory=dict, description="Which element, label block and user datum it uses."
    )
