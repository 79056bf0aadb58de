"""Shared plumbing every capability uses: the plain data records (boxes, text blocks,
controls, fields), safe image loading and the content-addressed store, model-coordinate
conversion, masking of personal data, and fonts that draw CJK."""
