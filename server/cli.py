"""The ``vlcrew`` command line: ``vlcrew fill|ask FILE... --request TEXT``, ``vlcrew serve``.

Progress goes to stderr as each node finishes; the answer goes to stdout (JSON with
``--json``). Bad input ends with one line on stderr and a non-zero exit code, never a
traceback: 2 bad input, 3 no usable data in the request, 1 anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT, EXIT_NO_DATA = 0, 1, 2, 3


class CliError(Exception):
    """A user-facing error: one line, and the exit code to use."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vlcrew", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    fill = sub.add_parser("fill", help="fill a form screenshot with the data in a request")
    ask = sub.add_parser("ask", help="any request on images or a video: read text and tables, "
                                     "solve, rebuild as HTML, describe, find video events")
    for command in (fill, ask):
        command.add_argument("images", nargs="*", metavar="FILE",
                             help="screenshot(s), photo(s) or a video; optional on a follow-up "
                                  "(--thread)")
        command.add_argument("--request", "-r", required=True,
                             help="what to do (for a form: with your data)")
        command.add_argument("--profile", help="JSON file of your data (label or key → value)")
        command.add_argument("--backend", choices=["auto", "offline", "vllm"], default=None,
                             help="model backend (default auto: vLLM if it answers, else "
                                  "offline)")
        command.add_argument("--out", default="out", help="folder for the files written (out)")
        command.add_argument("--json", action="store_true", help="print the answer JSON")
        command.add_argument("--approve", choices=["auto", "ask"], default=None,
                             help="ask: show the fields and wait for accept / edit / reject "
                                  "on stdin")
        command.add_argument("--thread", help="continue this thread (a follow-up: 'change the "
                                              "phone to …'); default: a new thread")
        command.add_argument("--db", default=None, help="SQLite file for threads (default: "
                                                        "threads.sqlite in the data dir)")
    act = sub.add_parser("act", help="do a request on a live web page in Chromium: fill, "
                                     "click, select, log in; verify; export a replay script")
    act.add_argument("--url", required=True, help="the page to start on")
    act.add_argument("--request", "-r", required=True, help="what to do, with your data")
    act.add_argument("--approve", choices=["auto", "ask"], default="ask",
                     help="ask (default): confirm on stdin before submit/pay/delete/send/"
                          "publish; auto: go ahead")
    act.add_argument("--backend", choices=["auto", "offline", "vllm"], default=None)
    act.add_argument("--profile", help="JSON file of your data (label or key → value)")
    act.add_argument("--upload-dirs", default=".",
                     help="folders (':'-separated) files may be uploaded from (.)")
    act.add_argument("--allowed-hosts", default="",
                     help="hosts (','-separated) the browser may reach (the start URL's)")
    act.add_argument("--out", default="out", help="folder for screenshots and the replay script")
    act.add_argument("--json", action="store_true", help="print the answer JSON")
    act.add_argument("--thread", default=None, help=argparse.SUPPRESS)
    act.add_argument("--db", default=None, help="SQLite file for threads")
    serve = sub.add_parser("serve", help="run the web page, thread API and OpenAI endpoint")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (8080)")
    serve.add_argument("--backend", choices=["auto", "offline", "vllm"], default=None)
    serve.add_argument("--db", default=None,
                       help="SQLite file for threads (default: threads.sqlite in the data dir; "
                            "VLCREW_POSTGRES_URL selects Postgres instead)")
    serve.add_argument("--image-dirs", default=None, metavar="DIRS",
                       help="folders (':'-separated) file:// images may come from (none)")
    serve.add_argument("--allow-http-images", action="store_true", default=None,
                       help="let clients send http(s) image URLs for the server to fetch")
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="another Host name to answer to besides the loopback ones "
                            "(repeatable; e.g. the machine's name when bound elsewhere)")
    serve.add_argument("--no-auth", action="store_true",
                       help="DANGEROUS: no token; any local program may drive the agent. "
                            "Refused unless bound to a loopback address")
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from agents.context import Context
    from graph.persistence import default_db_path
    from server.app import create_app
    from server.security import (
        WILDCARD_BINDS,
        host_names,
        is_loopback,
        load_or_create_token,
        token_path,
    )

    if args.no_auth and not is_loopback(args.host):
        print(f"vlcrew: error: --no-auth is refused on {args.host}: without a token anyone "
              "who reaches it drives the agent; bind 127.0.0.1 or drop --no-auth",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    ctx = Context(**{k: v for k, v in (("backend", args.backend),
                                        ("image_dirs", args.image_dirs),
                                        ("allow_http_images", args.allow_http_images))
                     if v is not None})
    token = None if args.no_auth else load_or_create_token()
    shown = "127.0.0.1" if args.host in WILDCARD_BINDS else args.host
    url = f"http://[{shown}]:{args.port}" if ":" in shown else f"http://{shown}:{args.port}"
    where = "Postgres" if os.environ.get("VLCREW_POSTGRES_URL") else (
        args.db or default_db_path())
    print(f"vlcrew: web page {url}/ · thread API {url}/api · OpenAI endpoint {url}/v1 "
          f"(model 'vlcrew') · backend {ctx.backend} · threads in {where}", file=sys.stderr)
    if token is None:
        print("vlcrew: WARNING: --no-auth: NO TOKEN. Every program on this machine can start "
              "runs, read threads and accept approvals. Use it only for a local experiment.",
              file=sys.stderr)
    else:
        print(f"vlcrew: open {url}/?token={token}\n"
              f"vlcrew: API clients send 'Authorization: Bearer {token}' (OpenAI api_key); "
              f"the token is kept in {token_path()}", file=sys.stderr)
    app = create_app(context=ctx, db_path=args.db, auth=token is not None, token=token,
                     hosts=host_names(args.host, args.allowed_host))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return EXIT_OK


def _load_profile(path: str | None) -> dict[str, str] | None:
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"profile not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"profile is not valid JSON: {path} ({exc})") from None
    if not isinstance(data, dict):
        raise CliError(f"profile must be a JSON object of label → value: {path}")
    return {str(k): str(v) for k, v in data.items() if v is not None and str(v).strip()}


def _progress(node: str, update: dict[str, Any]) -> str | None:
    """One human line per finished node."""
    if node == "ingest":
        imgs = update.get("images") or []
        sizes = "".join(f" {i.name} {i.width}×{i.height}" for i in imgs)
        return f"ingest: {len(imgs)} image(s){sizes}; backend {update.get('backend')}"
    if node == "planner" and update.get("plan"):
        plan = update["plan"]
        return f"planner: {plan.task} → " + ", ".join(f"{s.id} {s.agent}" for s in plan.steps)
    report = next(iter((update.get("step_reports") or {}).values()), None)
    timing = f" ({report.seconds:.1f} s)" if report else ""
    if report and report.status == "failed":
        return f"{node}: FAILED{timing}: {report.message}"
    if node == "ocr":
        return f"ocr: {len(update.get('ocr') or [])} text lines{timing}"
    if node == "gui":
        return f"gui: {len(update.get('elements') or [])} controls{timing}"
    if node == "data_mapping":
        return (f"data_mapping: {len(update.get('user_data') or [])} values given, "
                f"{len(update.get('fields') or [])} fields, "
                f"{len(update.get('missing') or [])} missing{timing}")
    if node == "executor" and update.get("act") is not None:
        act = update["act"]
        return (f"executor: {len(update.get('actions') or [])} actions, "
                f"{'done' if act.ok else 'NOT done: ' + act.message}{timing}")
    if node == "feedback" and update.get("answer") and update["answer"].overlay:
        return f"feedback: overlay {update['answer'].overlay}"
    return None


def _ask_verdict(payload: dict[str, Any]) -> dict[str, Any]:
    """Show the fields about to be used and read the user's verdict from stdin."""
    print("\n" + payload["question"], file=sys.stderr)
    for n, f in enumerate(payload["fields"], start=1):
        mark = "✗" if f["valid"] is False else " "
        print(f"  {n:2}.{mark} {f['label']}: {f['value']}", file=sys.stderr)
    for label in payload["missing"]:
        print(f"   · missing: {label}", file=sys.stderr)
    for done in payload.get("done", []):
        mark = "✓" if done.get("ok") else "✗"
        print(f"  {mark} {done['action']} {done.get('target', '')}: {done.get('readback')}",
              file=sys.stderr)
    for problem in payload["problems"]:
        print(f"  ! {problem}", file=sys.stderr)
    print("accept: a · reject: r [reason] · edit: label=value; label=value > ", end="",
          file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    if not line:
        return {"action": "reject", "reason": "no answer on stdin"}
    text = line.strip()
    if text.lower() in ("", "a", "accept", "y", "yes"):
        return {"action": "accept"}
    if text.lower().split(" ")[0] in ("r", "reject", "n", "no"):
        return {"action": "reject", "reason": text.partition(" ")[2] or None}
    values = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    return {"action": "edit", "values": {k.strip(): v.strip() for k, v in values.items()}}


async def _run_fill(args: argparse.Namespace) -> Any:
    import uuid

    from langchain_core.messages import HumanMessage
    from langgraph.types import Command

    from agents.context import Context
    from graph.builder import build_graph
    from graph.persistence import open_checkpointer

    if not args.request.strip():
        raise CliError("empty request: say what to fill in, with your data")
    url = getattr(args, "url", None)
    images = getattr(args, "images", [])
    if not images and not args.thread and not url:
        raise CliError("no input: give the screenshot (or --thread for a follow-up)")
    parts: list[str | dict[Any, Any]] = [{"type": "text", "text": args.request}]
    for image in images:
        parts.append({"type": "image_url", "image_url": {"url": str(Path(image).absolute())}})
    inputs: Any = {"messages": [HumanMessage(content=parts)]}
    if url:
        inputs["url"] = url
    profile = _load_profile(args.profile)
    if profile:
        inputs["profile"] = profile
    ctx = Context(out_dir=str(Path(args.out).absolute()), **{
        k: v for k, v in (("backend", args.backend), ("approve", args.approve),
                          ("upload_dirs", getattr(args, "upload_dirs", None)),
                          ("allowed_hosts", getattr(args, "allowed_hosts", None))) if v})
    if url:
        # The one place a start URL is allowed by its caller: on the command line the caller
        # is the operator. The graph cannot tell; over HTTP only VLCREW_ACT_START_URLS can.
        ctx = ctx.starting_at(url)
    thread_id = args.thread or str(uuid.uuid4())
    config = {"configurable": {"thread_id": thread_id}}
    print(f"vlcrew: thread {thread_id}", file=sys.stderr)
    answer = None
    async with open_checkpointer(args.db) as saver:
        graph = build_graph(checkpointer=saver)
        if args.thread and not (await graph.aget_state(config)).values:
            raise CliError(f"no thread {args.thread!r} in the database")
        while True:
            async for chunk in graph.astream(inputs, config, context=ctx, stream_mode="updates"):
                for node, update in chunk.items():
                    if not isinstance(update, dict):
                        continue
                    for warning in update.get("warnings") or []:
                        print(f"vlcrew: {warning}", file=sys.stderr)
                    line = _progress(node, update)
                    if line:
                        print(f"  {line}", file=sys.stderr)
                    answer = update.get("answer", answer)
            state = await graph.aget_state(config)
            if not state.interrupts:
                return answer
            inputs = Command(resume=_ask_verdict(state.interrupts[0].value))


def _print_answer(answer: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    print(answer.suggestion)
    if answer.text and answer.task != "form_fill":
        print(answer.text)
    if answer.tables:
        from tools.documents.tables import to_markdown  # only read_text answers have tables

        for table in answer.tables:
            print(to_markdown(table))
    for f in answer.fields:
        mark = "✗" if f.valid is False else "✓"
        print(f"  {mark} {f.label}: {f.value}  [{f.action}, {f.confidence:.2f}] {f.bbox}")
    for label in answer.missing:
        print(f"  · missing: {label}")
    for name, path in answer.files.items():
        if not name.startswith("overlay_"):
            print(f"  {name}: {path}")
    if answer.act is not None:
        shots = answer.act.screenshots
        print(f"  final page: {answer.act.final_url}")
        if shots:
            print(f"  screenshots: {len(shots)} in {Path(shots[0]).parent}")


def _exit_code(answer: Any) -> int:
    fatal = [e for e in answer.errors if e.fatal]
    if fatal:
        print(f"vlcrew: error: {fatal[0].message}", file=sys.stderr)
        return EXIT_BAD_INPUT if fatal[0].kind == "bad_input" else EXIT_ERROR
    no_data = [e for e in answer.errors if e.kind == "no_data"]
    if no_data:
        print(f"vlcrew: error: {no_data[0].message}", file=sys.stderr)
        return EXIT_NO_DATA
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if args.command == "serve":
        return _serve(args)
    try:
        answer = asyncio.run(_run_fill(args))
        if answer is None:
            raise CliError("the graph ended without an answer", EXIT_ERROR)
        code = _exit_code(answer)
        if code in (EXIT_OK, EXIT_NO_DATA):
            _print_answer(answer, args.json)
        return code
    except CliError as exc:
        print(f"vlcrew: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("vlcrew: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, details only with -v
        logging.getLogger("vlcrew").debug("unexpected error", exc_info=True)
        print(f"vlcrew: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
