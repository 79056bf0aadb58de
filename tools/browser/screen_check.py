"""Is what the DOM says also on the screen? A page's control names checked against OCR.

DOM-first grounding trusts labels the markup gives (``<label>``, aria-label, placeholders,
table headers); a person only sees the pixels. Each acted-on control's name is looked for in
the OCR text of the screenshot near the control (same row or just above, or inside it): a
name the screen does not show — an aria-only label, a hidden field — is reported, so a
reviewer knows which actions rest on markup alone.
"""

from __future__ import annotations

import re

from tools.browser.control_names import name_parts
from tools.common.schema import Box, TextBlock
from tools.forms.lexicon import normalize_label

_NEAR = 140  # px around a control in which its name counts as shown


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", normalize_label(text))


def _near(a: Box, b: Box, reach: int = _NEAR) -> bool:
    return not (a[2] + reach < b[0] or b[2] + reach < a[0] or a[3] + reach < b[1]
                or b[3] + reach < a[1])


def shown_on_screen(name: str, bbox: Box, blocks: list[TextBlock]) -> bool:
    """Does OCR read ``name`` (or a half of a bilingual name) near ``bbox``?"""
    wanted = [w for w in (_squash(p) for p in name_parts(name)) if len(w) >= 2]
    if not wanted:
        return True  # nothing to check (a bare checkbox, an icon button)
    around = "".join(_squash(b.text) for b in blocks if _near(b.bbox, bbox))
    return any(w in around for w in wanted)
