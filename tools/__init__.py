"""Capabilities with no graph knowledge, one sub-package each.

Arrows point down: ``common`` is the plumbing every other package may use; ``perception``
(OCR, layout) uses only ``common``; ``forms``, ``documents``, ``browser``, ``maths``,
``frontend`` and ``media`` use ``common``, ``perception`` and their peers, without circles.
"""
