"""The one ASGI app of ``vlcrew serve`` (and of ``langgraph dev``'s ``http.app``).

It serves the web page (``/``), the thread API (``/api/...``, runs on checkpointed threads)
and the OpenAI-compatible endpoint (``/v1/...``, stateless: a chat client sends the whole
conversation). Threads live in SQLite (``db_path``, else the default file) or in Postgres
when ``VLCREW_POSTGRES_URL`` is set. The checkpointer is opened on first use, so the app
works whether or not its host runs the ASGI lifespan. ``server.security.Guard`` wraps it all:
Host allow-list, same-origin state changes, JSON bodies, the install's token, and security
headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from agents.context import Context
from graph.builder import build_graph
from graph.builder import graph as stateless_graph
from graph.persistence import open_checkpointer
from server.openai_api import build_app as openai_app
from server.run_limits import RunLimits
from server.security import Guard, Settings, host_names, load_or_create_token
from server.threads_api import ApiError, ThreadRunner, thread_routes

WEB = Path(__file__).parent / "web"


class LazyRunner:
    """The thread runner, built with its checkpointer on first use and closed at shutdown."""

    def __init__(self, build: Callable[..., Any], context: Context,
                 db_path: str | Path | None) -> None:
        self.build, self.context, self.db_path = build, context, db_path
        self.runner: ThreadRunner | None = None
        self.stack = AsyncExitStack()
        self.lock = asyncio.Lock()

    async def get(self) -> ThreadRunner:
        async with self.lock:
            if self.runner is None:
                saver = await self.stack.enter_async_context(open_checkpointer(self.db_path))
                self.runner = ThreadRunner(self.build(checkpointer=saver), self.context)
            return self.runner

    async def close(self) -> None:
        await self.stack.aclose()
        self.runner = None


def create_app(graph: Callable[..., Any] | None = None, *, context: Context | None = None,
               db_path: str | Path | None = None, auth: bool = True, token: str | None = None,
               hosts: Iterable[str] = (), guard: Settings | None = None) -> Starlette:
    """The app; ``graph`` builds the compiled graph given a checkpointer (tests swap it).

    ``auth``: require the token (``token``, else the install's, made on first use);
    ``hosts``: Host names to answer besides the loopback ones; ``guard``: all of it at once
    (``langgraph dev``'s app).
    """
    ctx = context or Context()
    settings = guard or Settings(token=(token or load_or_create_token()) if auth else None,
                                 hosts=host_names("", hosts))
    lazy = LazyRunner(graph or build_graph, ctx, db_path)

    async def index(request: Request) -> Response:
        return FileResponse(WEB / "index.html", media_type="text/html")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await lazy.close()

    limits = RunLimits()  # one budget of concurrent runs for both APIs
    # Its routes join this app's, so its error handlers must too (OpenAI's error shape).
    openai = openai_app(stateless_graph, ctx, limits)
    return Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Mount("/static", app=StaticFiles(directory=WEB, check_dir=False), name="static"),
            *thread_routes(lazy.get, limits),
            *openai.routes,
        ],
        lifespan=lifespan,
        exception_handlers=openai.exception_handlers,
        middleware=[Middleware(Guard, settings=settings)],
    )


__all__ = ["ApiError", "create_app"]
