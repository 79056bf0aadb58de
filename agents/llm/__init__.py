"""The one way agents talk to the model server (vLLM's OpenAI-compatible API, Qwen3-VL).

- :mod:`agents.llm.chat_model`: the chat model (reasoning kept, ``extra_body`` merged).
- :mod:`agents.llm.structured`: JSON replies matching a pydantic schema.
- :mod:`agents.llm.image_parts`: image content parts, byte-identical on every call.
- :mod:`agents.llm.reasoning`: splitting reasoning from content.
- :mod:`agents.llm.errors`: :class:`~agents.llm.errors.ModelError` for transport failures.
- :mod:`agents.llm.transport`: the HTTP client handed to the OpenAI SDK.
"""
