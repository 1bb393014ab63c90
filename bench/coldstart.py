"""Cold starts: the first invocation of a function, through the gateway and the Lambda API.

A Tollway of its own (pinned to core 0 like the others; its workers inherit that) serves one
AWS_PROXY route to a trivial function (servers.COLD_SOURCE). Each round forces a fresh worker
twice, and times the first invocation after each, from this script (on core 1):

1. through the gateway (`GET .../cold`, a new connection, as a first visitor's would be); the
   Init Duration is read from the REPORT line Tollway writes to the function's log file;
2. through the Lambda API (`Invoke` with `LogType=Tail`, a botocore client: the one boto3
   wraps); the Init Duration is read from the REPORT line in the returned log tail.

A fresh worker: the server runs with `--function-idle-timeout 0.5`, so the previous worker is
reaped half a second after its call; the script waits until no worker is left, then changes
an environment variable with UpdateFunctionConfiguration, which gives the function a new
revision (as a deployment does). The cold start therefore runs alone: no retiring worker is
being torn down beside it. A first call whose REPORT line has no Init Duration was not a cold
start and is reported as a problem.

The machine is shared: CPU used by other processes (and steal time, taken by the hypervisor)
is metered around each first call, and a call during which they used more than DISTURBED
seconds is measured again (up to RETRIES times); the report counts those repeats.

After the rounds the same function is timed warm, the same ways, for contrast: Invoke (the
client's own cost included) and gateway GETs each on a new connection.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from probes import CpuMeter
from servers import COLD_BODY, COLD_FUNCTION, TollwayServer
from workers import function_workers

IDLE_TIMEOUT = 0.5  # the cold-start server's --function-idle-timeout, seconds
_WORKER_GONE_TIMEOUT = 10.0
_SETTLE = 0.1  # seconds after the old worker is gone and after the update, before the call
_LOG_TIMEOUT = 5.0  # for the function's log file to get the call's REPORT line
_INIT = re.compile(r"Init Duration: ([\d.]+) ms")
# Other processes' CPU during one first call (about 50 ms) that makes it count as disturbed:
# /proc counts in 10 ms ticks, so this is more than two ticks.
DISTURBED = 0.025
RETRIES = 3


@dataclass
class ColdStarts:
    """Everything measured, in ms; first-call lists are per round."""

    rounds: int
    gateway_first_ms: list[float] = field(default_factory=list)
    gateway_init_ms: list[float] = field(default_factory=list)
    invoke_first_ms: list[float] = field(default_factory=list)
    invoke_init_ms: list[float] = field(default_factory=list)
    warm_invoke_ms: list[float] = field(default_factory=list)
    warm_gateway_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    repeated: int = 0  # first calls measured again because other processes were busy
    disturbed: int = 0  # first calls kept although other processes were busy (retries used up)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1); nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def lambda_client(endpoint: str) -> Any:
    # botocore is one of Tollway's own dependencies; boto3.client(...) builds this same client.
    import botocore.session
    from botocore.config import Config

    return botocore.session.get_session().create_client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class _Prober:
    def __init__(self, server: TollwayServer, result: ColdStarts) -> None:
        self.server = server
        self.result = result
        self.client = lambda_client(server.admin_url)
        self.url = server.url("cold")
        self.log = server.data_dir / "logs" / f"{COLD_FUNCTION}.log"

    def _reports(self) -> list[str]:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if "REPORT RequestId" in line]

    def fresh_worker(self, tag: str) -> None:
        """No warm worker left, and a new revision of the function."""
        deadline = time.monotonic() + _WORKER_GONE_TIMEOUT
        while function_workers(self.server.child.pid):
            if time.monotonic() > deadline:
                self.result.problems.append(f"{tag}: the previous worker was still alive")
                break
            time.sleep(0.05)
        time.sleep(_SETTLE)
        answer = self.client.update_function_configuration(
            FunctionName=COLD_FUNCTION, Environment={"Variables": {"BENCH_ROUND": tag}}
        )
        if answer.get("LastUpdateStatus", "Successful") != "Successful":
            self.result.problems.append(f"{tag}: update status {answer.get('LastUpdateStatus')}")
        time.sleep(_SETTLE)

    def gateway(self, tag: str, meter: CpuMeter | None = None) -> tuple[float, float | None]:
        """One GET: its latency in ms, and the Init Duration of its REPORT line."""
        before = len(self._reports())
        with meter or contextlib.nullcontext():
            started = time.perf_counter()
            status, body = _get(self.url)
            elapsed = (time.perf_counter() - started) * 1000
        if status != 200 or body.decode(errors="replace") != COLD_BODY:
            self.result.problems.append(f"{tag}: the gateway answered {status} {body[:100]!r}")
        deadline = time.monotonic() + _LOG_TIMEOUT
        while len(reports := self._reports()) <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        init = _INIT.search(reports[-1]) if len(reports) > before else None
        return elapsed, float(init.group(1)) if init else None

    def invoke(
        self, tag: str, tail: bool = True, meter: CpuMeter | None = None
    ) -> tuple[float, float | None]:
        """One Invoke (payload read): its latency in ms, and the Init Duration it reported."""
        extra = {"LogType": "Tail"} if tail else {}
        with meter or contextlib.nullcontext():
            started = time.perf_counter()
            answer = self.client.invoke(FunctionName=COLD_FUNCTION, Payload=b"{}", **extra)
            payload = answer["Payload"].read()
            elapsed = (time.perf_counter() - started) * 1000
        expected = {"statusCode": 200, "body": COLD_BODY}
        if answer.get("FunctionError") or json.loads(payload) != expected:
            self.result.problems.append(
                f"{tag}: Invoke answered {answer.get('FunctionError')} {payload[:100]!r}"
            )
        log = base64.b64decode(answer.get("LogResult", "")).decode(errors="replace")
        init = _INIT.search(log)
        return elapsed, float(init.group(1)) if init else None


def measure(
    server: TollwayServer, rounds: int, warm_calls: int, pids: Callable[[], list[int]]
) -> ColdStarts:
    """`rounds` cold starts through each path, then `warm_calls` warm calls through each.

    `pids`: the benchmark's processes, whose CPU does not count as a disturbance."""
    result = ColdStarts(rounds)
    prober = _Prober(server, result)
    prober.invoke("client warm-up", tail=False)  # the client's first call loads its models
    for round_ in range(rounds):
        for path in ("gateway", "invoke"):
            tag = f"round {round_ + 1}, {path}"
            for attempt in range(RETRIES + 1):
                prober.fresh_worker(f"{round_}-{path}-{attempt}")
                meter = CpuMeter(pids)
                if path == "gateway":
                    first, init = prober.gateway(tag, meter)
                else:
                    first, init = prober.invoke(tag, meter=meter)
                if meter.usage.others_seconds + meter.usage.stolen_seconds <= DISTURBED:
                    break
                if attempt == RETRIES:
                    result.disturbed += 1
                else:
                    result.repeated += 1
            if init is None:
                result.problems.append(f"{tag}: no Init Duration, so not a cold start")
            firsts = result.gateway_first_ms if path == "gateway" else result.invoke_first_ms
            inits = result.gateway_init_ms if path == "gateway" else result.invoke_init_ms
            firsts.append(first)
            if init is not None:
                inits.append(init)
    prober.invoke("warm-up", tail=False)
    for _ in range(warm_calls):
        result.warm_invoke_ms.append(prober.invoke("warm Invoke", tail=False)[0])
    for _ in range(warm_calls):
        started = time.perf_counter()
        status, body = _get(prober.url)
        result.warm_gateway_ms.append((time.perf_counter() - started) * 1000)
        if status != 200 or body.decode(errors="replace") != COLD_BODY:
            result.problems.append(f"warm gateway call: {status} {body[:100]!r}")
    return result
