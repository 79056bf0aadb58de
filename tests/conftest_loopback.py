"""The ``loopback_vllm`` fixture: a scripted vLLM-protocol server on 127.0.0.1 per test.

Import it into a conftest (``from tests.conftest_loopback import loopback_vllm``); see
:mod:`tests.loopback_vllm` for scripting replies and reading what the client sent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loopback_vllm import LoopbackVLLM


@pytest.fixture
def loopback_vllm() -> Iterator[LoopbackVLLM]:
    """A started :class:`LoopbackVLLM`; ``.base_url`` ends in ``/v1``. Closed after the test."""
    with LoopbackVLLM() as server:
        yield server
