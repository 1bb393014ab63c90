"""The `tollway` command.

    tollway serve [FILE ...] [--host H] [--port P] [--admin-port P] [--data-dir D]
                  [--region R] [--account-id A] [--stage S] [--access-log T]

Every option also reads `TOLLWAY_<NAME>` (e.g. TOLLWAY_PORT=9000); a flag wins over the
variable, the variable over the default.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import fields
from pathlib import Path

from tollway import __version__
from tollway.control.files import FileError
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
        flag = "--" + f.name.replace("_", "-")
        kind = {"int": int, "Path": Path}.get(str(f.type), str)
        serve.add_argument(
            flag,
            type=kind,
            default=None,
            dest=f.name,
            help=f"{f.metadata.get('help', '')} (${env_name(f.name)}, default {f.default})",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {f.name: getattr(args, f.name) for f in fields(Settings)}
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
