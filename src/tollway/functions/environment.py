"""A worker's environment variables: Lambda's "defined runtime environment variables".

A worker does not inherit the server's environment (its credentials and settings are not the
function's business); it gets what a Lambda execution environment has, with the host's
``PATH`` (and ``LD_LIBRARY_PATH``, which some Python builds need to start) standing in for the
Amazon Linux paths. AWS credentials are not set: nothing here assumes an execution role.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tollway.functions.worker import RUNTIME

if TYPE_CHECKING:
    from tollway.functions.host import FunctionSpec


def log_stream_name(version: str) -> str:
    """A new CloudWatch log stream name, one per worker: ``2024/05/01/[$LATEST]<32 hex>``."""
    return time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{version}]{secrets.token_hex(16)}"


def layer_paths(layer_dirs: Sequence[Path], runtime: str) -> list[str]:
    """Where a Python function finds its layers' code, in import order.

    Lambda extracts every layer into ``/opt`` in the function's order (a later layer's files
    win) and puts ``/opt/python/lib/python3.X/site-packages`` then ``/opt/python`` on the
    path. Layers stay in their own directories here, so the later layer comes first.
    """
    ordered = list(reversed(layer_dirs))
    return [str(d / "python" / "lib" / runtime / "site-packages") for d in ordered] + [
        str(d / "python") for d in ordered
    ]


def lambda_environment(spec: FunctionSpec, log_stream: str) -> dict[str, str]:
    """The worker's environment: Lambda's variables, then the function's own.

    The function's variables may replace the unreserved defaults (LANG, PATH, LD_LIBRARY_PATH);
    its PYTHONPATH is appended to the code directory, which stays first. Lambda refuses
    reserved keys at CreateFunction; should one get here, the reserved value wins.
    """
    task_root = os.path.abspath(spec.code_dir)
    env = {"LANG": "en_US.UTF-8", "PATH": os.environ.get("PATH", os.defpath)}
    library_path = os.environ.get("LD_LIBRARY_PATH")
    if library_path:
        env["LD_LIBRARY_PATH"] = library_path
    env.update(spec.environment)
    user_pythonpath = spec.environment.get("PYTHONPATH")
    paths = [task_root, *layer_paths(spec.layer_dirs, spec.interpreter.runtime)]
    if user_pythonpath:
        paths.append(user_pythonpath)
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(
        {
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": os.path.dirname(RUNTIME),
            "TZ": ":UTC",
        }
    )
    return env
