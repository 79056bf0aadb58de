"""Screens to HTML: a positioned-layout rebuild from OCR and detected controls, and a
rendered-versus-screenshot similarity score in Chromium."""
