"""Running wrk and reading its report.

wrk is pinned to core 1 (beside the upstream), one thread, `--latency` for the percentile
table. What a run measured is taken from wrk's text output: Requests/sec, the 50% and 99%
lines of the latency distribution, and the error lines (socket errors, non-2xx/3xx
responses), which wrk only prints when there were some.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

WRK = "/usr/bin/wrk"

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    socket_errors: dict[str, int]  # connect/read/write/timeout, as wrk counts them
    non_2xx: int
    output: str

    @property
    def errors(self) -> str:
        """What went wrong during the run, '' if nothing did."""
        parts = [f"{count} {kind} errors" for kind, count in self.socket_errors.items() if count]
        if self.non_2xx:
            parts.append(f"{self.non_2xx} non-2xx/3xx responses")
        return ", ".join(parts)


def wrk_command(
    url: str, connections: int, duration: int, core: int, headers: tuple[str, ...] = ()
) -> list[str]:
    """`headers`: "Name: value" lines every request carries (a token, for authorizers)."""
    return [
        "taskset",
        "-c",
        str(core),
        WRK,
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "5s",
        *[arg for header in headers for arg in ("-H", header)],
        url,
    ]


def run_wrk(command: list[str], duration: int) -> WrkResult:
    # Bounded even if wrk hangs: its own duration plus a generous margin.
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 30, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_wrk(completed.stdout)


def _to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if not match:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rps and p50 and p99 and total):
        raise ValueError(f"cannot read wrk's output:\n{output}")
    socket_errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors:
        socket_errors = dict(zip(socket_errors, map(int, errors.groups()), strict=True))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=_to_ms(p50.group(1)),
        p99_ms=_to_ms(p99.group(1)),
        requests=int(total.group(1)),
        socket_errors=socket_errors,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        output=output,
    )
