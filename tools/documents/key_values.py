"""Printed "key: value" pairs from OCR lines (offline structure for the OCR expert)."""

from __future__ import annotations

import re

from tools.common.schema import KeyValue, TextBlock

# A short key, a colon (full- or half-width), then a value on the same line.
_PAIR = re.compile(r"^\s*[*＊]?\s*(?P<key>[^:：]{1,20}?)\s*[:：]\s*(?P<value>\S.*?)\s*$")


def key_values(blocks: list[TextBlock]) -> list[KeyValue]:
    """Pairs printed on one line ("姓名：张三", "Total: 12.50"); times like 12:30 are not."""
    pairs = []
    for block in blocks:
        m = _PAIR.match(block.text)
        if not m:
            continue
        key, value = m.group("key").strip(), m.group("value")
        if key[-1:].isdigit() and value[:1].isdigit():
            continue  # a time or a ratio ("09:30", "16:9"), not a key and its value
        pairs.append(KeyValue(key=key, value=value, image_id=block.image_id))
    return pairs
