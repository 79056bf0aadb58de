"""Offline layout analysis: controls from pixels, then labels from OCR text around them.

``detect_elements`` (tools.perception.layout_detect) needs only the image; ``link_labels``
(tools.perception.layout_link) adds labels, placeholders and options once the OCR text is known.
"""

from __future__ import annotations

from tools.perception.layout_detect import detect_elements
from tools.perception.layout_link import link_labels

__all__ = ["detect_elements", "link_labels"]
