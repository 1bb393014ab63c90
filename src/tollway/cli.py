"""The `tollway` command.

    tollway serve [FILE ...] [--host H] [--port P] [--admin-port P] [--data-dir D]
                  [--region R] [--account-id A] [--stage S] [--access-log T]
                  [--aws-endpoint SERVICE=URL ...] [--aws-profile P]
                  [--identities FILE] [--admin-auth auto|on|off]
    tollway logs FUNCTION [--follow] [--lines N] [--data-dir D]

Every option of `serve` also reads `TOLLWAY_<NAME>` (e.g. TOLLWAY_PORT=9000); a flag wins over
the variable, the variable over the default. `logs` prints a function's log from the data
directory (TOLLWAY_DATA_DIR too), as `sam logs` and `aws logs tail` print CloudWatch Logs'
/aws/lambda/FUNCTION; with --follow it goes on printing new lines until Ctrl-C. It reads the
files a running server writes, so it works from another terminal without a control-plane call.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

from tollway import __version__
from tollway.control.files import FileError
from tollway.functions.logs import follow, log_paths, tail
from tollway.settings import Settings, env_name, from_env


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tollway", description="A free, self-hostable Amazon API Gateway."
    )
    parser.add_argument("--version", action="version", version=f"tollway {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the gateway and the control plane",
        description="Run the gateway (data plane) and the AWS control plane. Each FILE, an "
        "OpenAPI 2.0/3.0 document in JSON or YAML, is imported and deployed at start.",
    )
    serve.add_argument("files", nargs="*", type=Path, metavar="FILE")
    for f in fields(Settings):
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        kind = {"int": int, "float": float, "Path": Path}.get(str(f.type), str)
        default = f.default if f.default != "" else "none"
        serve.add_argument(
            flag,
            type=kind,
            default=None,
            dest=f.name,
            # A flag named apart from its setting repeats; its values are joined by commas.
            action="append" if "flag" in f.metadata else "store",
            help=f"{f.metadata.get('help', '')} (${env_name(f.name)}, default {default})",
        )
    logs = commands.add_parser(
        "logs",
        help="print a function's log",
        description="Print the last lines of a function's log (what it printed, with Lambda's "
        "START, END and REPORT lines), from the data directory a server writes it to.",
    )
    logs.add_argument("function", metavar="FUNCTION")
    logs.add_argument(
        "-f", "--follow", action="store_true", help="go on printing new lines until Ctrl-C"
    )
    logs.add_argument(
        "-n", "--lines", type=_count, default=50, help="how many last lines to print (default 50)"
    )
    logs.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"where the logs live (${env_name('data_dir')}, default {Settings.data_dir})",
    )
    return parser


def _count(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()):
        raise argparse.ArgumentTypeError(f"not a number of lines: {raw!r}")
    return int(raw)


def main(argv: list[str] | None = None, *, follow_stop: Callable[[], bool] | None = None) -> int:
    """Run the command; return its exit status.

    `follow_stop` ends `logs --follow` once it returns True (see `follow`), for callers that
    run the command in-process (tests); from a terminal, Ctrl-C ends it.
    """
    args = _parser().parse_args(argv)
    if args.command == "logs":
        return _logs(args, follow_stop)
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    overrides = {f.name: getattr(args, f.name) for f in fields(Settings)}
    for name, value in overrides.items():
        if isinstance(value, list):  # a repeated flag
            overrides[name] = ",".join(value)
    try:
        settings = from_env(**overrides)
    except ValueError as e:
        print(f"tollway: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"tollway: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    from tollway.app import run

    try:
        run(settings, args.files)
    except FileError as e:
        print(f"tollway: {e}", file=sys.stderr)
        return 1
    return 0


def _logs(args: argparse.Namespace, stop: Callable[[], bool] | None) -> int:
    try:
        logs_dir = from_env(data_dir=args.data_dir).logs_dir
        current, previous = log_paths(logs_dir, args.function)
    except ValueError as e:
        print(f"tollway: {e}", file=sys.stderr)
        return 2
    if not args.follow and not (current.exists() or previous.exists()):
        # With --follow a missing log is waited for instead: the function may be about to run.
        print(f"tollway: no logs for function {args.function} in {logs_dir}", file=sys.stderr)
        return 1
    try:
        if args.follow:
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how --follow ends
                for line in follow(logs_dir, args.function, lines=args.lines, stop=stop):
                    print(line, flush=True)
        else:
            for line in tail(logs_dir, args.function, args.lines):
                print(line)
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`tollway logs f | head`). Point stdout at /dev/null so that
        # Python's own flush at exit does not complain about the pipe a second time.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as e:
        print(f"tollway: {e}", file=sys.stderr)
        return 1
    return 0
