"""Where a thread's checkpoints live: SQLite by default, Postgres when configured.

The CLI and ``vlcrew serve`` keep every thread in a SQLite file (``--db``, else
``$VLCREW_DATA_DIR/threads.sqlite``, else ``~/.local/share/vlcrew/threads.sqlite``); with
``VLCREW_POSTGRES_URL`` set they use Postgres instead (``pip install vlcrew[postgres]``).
A run that dies mid-way resumes on the same thread from its last checkpoint: steps that had
finished are not run again. Only the state's own record types may be read back from a
checkpoint (an allowlist), so a tampered database cannot make it build arbitrary objects.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel

import agents.records
import tools.common.expert_schema
import tools.common.schema


def state_types() -> list[tuple[str, str]]:
    """(module, class) of every record type the state holds."""
    return [(module.__name__, name) for module in (agents.records, tools.common.schema, tools.common.expert_schema)
            for name, obj in vars(module).items()
            if inspect.isclass(obj) and issubclass(obj, BaseModel)
            and obj.__module__ == module.__name__]


def serializer() -> JsonPlusSerializer:
    """The checkpoint serializer, restricted to the state's own types."""
    return JsonPlusSerializer(allowed_msgpack_modules=state_types())


def default_db_path() -> Path:
    """The SQLite file threads are kept in when no ``--db`` is given."""
    base = os.environ.get("VLCREW_DATA_DIR")
    if base:
        return Path(base).expanduser() / "threads.sqlite"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "vlcrew" / "threads.sqlite"


@asynccontextmanager
async def open_checkpointer(db_path: str | Path | None = None) -> AsyncIterator[Any]:
    """An async checkpointer, set up and closed with the block: Postgres or SQLite."""
    url = os.environ.get("VLCREW_POSTGRES_URL")
    if url:
        try:
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        except ImportError as exc:
            raise RuntimeError("VLCREW_POSTGRES_URL is set but langgraph-checkpoint-postgres "
                               "is not installed: pip install 'vlcrew[postgres]'") from exc
        async with AsyncPostgresSaver.from_conn_string(url, serde=serializer()) as pg:
            await pg.setup()
            yield pg
        return
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(db_path) if db_path else default_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(str(path)) as conn:
        # WAL: readers (state queries) never wait for the writer (a running graph).
        await conn.execute("PRAGMA journal_mode=WAL")
        saver = AsyncSqliteSaver(conn, serde=serializer())
        await saver.setup()
        yield saver
