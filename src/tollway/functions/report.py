"""The platform's log lines around each invocation: Lambda's START, END and REPORT.

Lambda writes these to the function's log stream (and to Invoke's ``LogType: Tail``) itself,
around whatever the function prints; tools that read Lambda logs (``sam logs``, log parsers
in CI) look for them. The text format is Lambda's: tab-separated fields and a trailing tab
on REPORT. Each function returns complete lines, ending in a newline.
"""

from __future__ import annotations

import math


def start(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}\n"


def end(request_id: str) -> str:
    return f"END RequestId: {request_id}\n"


def report(
    request_id: str,
    *,
    duration_ms: float,
    memory_size: int,
    max_memory_used_mb: int,
    init_ms: float | None,
    failure: str | None,
) -> str:
    """The REPORT line. Lambda bills the init phase of on-demand functions too (since August
    2025), so a cold start's billed duration covers init and invocation, in whole ms."""
    billed = math.ceil(duration_ms + (init_ms or 0.0))
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {max(billed, 1)} ms\tMemory Size: {memory_size} MB\t"
        f"Max Memory Used: {max_memory_used_mb} MB\t"
    )
    if init_ms is not None:
        line += f"Init Duration: {init_ms:.2f} ms\t"
    if failure == "timeout":
        line += "Status: timeout"
    elif failure is not None:
        line += f"Status: error\tError Type: {failure}"
    return line + "\n"


def exit_line(request_id: str, message: str, error_type: str) -> str:
    """What the platform logs when the runtime dies under an invocation."""
    return f"RequestId: {request_id} Error: {message}\n{error_type}\n"
