"""The records of a perceived page: its controls, options, texts and the snapshot holding them.

Plain data, no browser: the perception pass (``perceive.snapshot``) fills them, the actions,
the instruction resolver and the executor's decisions read them. Personal values are masked
whenever a snapshot is shown (``repr``, :meth:`PageSnapshot.masked`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.common.masking import SENSITIVE_KEYS, mask_text, mask_value
from tools.common.schema import Box
from tools.forms.lexicon import match_label

ControlKind = Literal[
    "text_input", "textarea", "select", "checkbox", "radio", "button", "upload", "date",
    "link", "password", "custom_select", "autocomplete",
]
LabelSource = Literal[
    "label_for", "wrapping_label", "aria_label", "aria_labelledby", "legend", "placeholder",
    "table_header", "nearby_text", "button_text", "none",
]


class PageOption(BaseModel):
    """One choice of a select or listbox."""

    value: str = Field(description="What the page submits (value attribute, data-value …).")
    text: str = Field(description="What the user reads.")


class PageText(BaseModel):
    """A visible block of text (or a message) and where it is on the screenshot."""

    text: str
    bbox: Box
    kind: Literal["text", "alert", "error", "status"] = "text"


class PageControl(BaseModel):
    """One interactive element of the page, named as a person would name it."""

    index: int = Field(description="Position in PageSnapshot.controls (and in to_elements).")
    kind: ControlKind
    tag: str
    input_type: str = Field(default="", description="type attribute / property (text, submit …).")
    role: str = Field(default="", description="ARIA role, explicit or implicit (for get_by_role).")
    name: str = ""
    id: str = ""
    label: str = Field(default="", description="The best human name (group name for radios).")
    label_source: LabelSource = "none"
    label_bbox: Box | None = None
    placeholder: str = ""
    value: str = Field(default="", description="Current value; passwords are never read.")
    selected: list[str] = Field(default_factory=list, description="Selected option texts.")
    checked: bool | None = None
    options: list[PageOption] = Field(default_factory=list)
    option_text: str = Field(default="", description="A radio/checkbox's own label (e.g. 男).")
    group: str = Field(default="", description="Radio/checkbox group (its name attribute).")
    multiple: bool = False
    href: str = ""
    form: str = Field(default="", description="Selector of the form it belongs to.")
    bbox: Box
    visible: bool = True
    enabled: bool = True
    required: bool = False
    validation_message: str = Field(
        default="", description="What the page says is wrong with it (validationMessage or the "
                                "error text shown next to it).")
    locator: str = Field(description="A Playwright selector matching exactly this control.")


class PageSnapshot(BaseModel):
    """What the page shows now."""

    url: str
    title: str
    controls: list[PageControl]
    texts: list[PageText] = Field(default_factory=list)
    messages: list[PageText] = Field(default_factory=list,
                                     description="Alerts, validation and error texts shown.")
    viewport: tuple[int, int] = (0, 0)
    page_size: tuple[int, int] = (0, 0)
    screenshot: bytes | None = Field(default=None, exclude=True, repr=False,
                                     description="Full-page PNG; bboxes are its pixels.")

    def masked(self) -> dict[str, Any]:
        """The snapshot as a dict with personal values masked (ID numbers, phones, e-mails,
        names by their field's label; anything ID- or phone-shaped in texts): for logs and
        traces. Password values are never read in the first place."""
        data = self.model_dump()
        for c in data["controls"]:
            key = match_label(c["label"])[0]
            mask = (lambda v, k=key: mask_value(k, v)) if key in SENSITIVE_KEYS else mask_text
            c["value"] = mask(c["value"])
            c["selected"] = [mask(v) for v in c["selected"]]
        for t in data["texts"] + data["messages"]:
            t["text"] = mask_text(t["text"])
        return data

    def __repr_args__(self) -> Any:
        masked = self.masked()
        return [(k, masked.get(k, v) if k else v) for k, v in super().__repr_args__()]
