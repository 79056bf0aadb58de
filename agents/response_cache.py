"""A cache of model replies, so re-running the same screen does not call the model again.

Keys are the sha256 of a canonical JSON of everything that decides a reply: the model name,
the images (by content hash, never pixels), the prompt text and the sampling settings.
Values are small JSON dicts (content, reasoning, usage). The cache lives in memory and,
when given a path, also in a SQLite file (WAL journal, so several processes may read while
one writes) that survives restarts.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

_SCHEMA = "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


class ResponseCache:
    """Model replies by key: a dict in memory, optionally backed by a SQLite file."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # One connection shared by all threads, serialised by self._lock.
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            self._db.commit()

    @staticmethod
    def key(model: str, image_sha256s: list[str], messages_text: str,
            settings: dict[str, Any]) -> str:
        """The cache key of one call: sha256 of a canonical JSON of its inputs."""
        canonical = json.dumps(
            {"model": model, "images": list(image_sha256s), "messages": messages_text,
             "settings": settings},
            sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value, or None. Returns a copy: callers may not edit the cache."""
        with self._lock:
            value = self._memory.get(key)
            if value is None and self._db is not None:
                row = self._db.execute("SELECT value FROM replies WHERE key = ?",
                                       (key,)).fetchone()
                if row is not None:
                    value = json.loads(row[0])
                    self._memory[key] = value
        return None if value is None else json.loads(json.dumps(value))

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` (must be JSON-serialisable) under ``key``."""
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        with self._lock:
            self._memory[key] = json.loads(text)
            if self._db is not None:
                self._db.execute("INSERT OR REPLACE INTO replies (key, value) VALUES (?, ?)",
                                 (key, text))
                self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            if self._db is not None:
                row = self._db.execute("SELECT COUNT(*) FROM replies").fetchone()
                return int(row[0])
            return len(self._memory)

    def close(self) -> None:
        """Close the SQLite file (the in-memory part stays usable)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
