"""Checks that belong to ``make lint`` rather than to a test run (mypy plugins)."""
