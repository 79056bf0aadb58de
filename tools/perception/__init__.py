"""Pixels to text and controls, with no model: OCR (rapidocr), layout detection of form
controls (OpenCV), label linking, and snapping model boxes to detected ones."""
