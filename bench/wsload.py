"""The WebSocket benchmark's load client (wsbench.py starts it, pinned to the load core).

    python bench/wsload.py roundtrip URL --connections 50 --warmup 2 --duration 10 --message M
    python bench/wsload.py idle URL --connections 2000

`roundtrip`: every connection sends M, awaits the reply and sends again, for warm-up plus
duration seconds; one JSON line on stdout gives the replies received in the measured window
(and in all), their latency percentiles, the replies that were not M's expected answer, and
this process's CPU. Like wrk, it is a closed loop: a slow gateway gets fewer messages.

`idle`: opens that many connections, sends nothing, prints one JSON line (`open`, `failed`)
once they are all open, and holds them until its stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

_OPEN_AT_ONCE = 100  # handshakes in flight while opening many connections


async def _open(url: str, count: int) -> tuple[list[ClientConnection], int]:
    gate = asyncio.Semaphore(_OPEN_AT_ONCE)

    async def one() -> ClientConnection | None:
        async with gate:
            try:
                # No compression (API Gateway offers none) and no client pings: the gateway
                # pings, and the client answers.
                return await connect(url, compression=None, ping_interval=None, open_timeout=30)
            except Exception:  # refused, reset, timed out: counted as failed
                return None

    opened = await asyncio.gather(*(one() for _ in range(count)))
    connections = [c for c in opened if c is not None]
    return connections, count - len(connections)


async def roundtrip(args: argparse.Namespace) -> dict[str, Any]:
    connections, failed = await _open(args.url, args.connections)
    start = time.monotonic()
    measured_from, until = start + args.warmup, start + args.warmup + args.duration
    latencies: list[float] = []
    counts = {"all": 0, "unexpected": 0, "closed": 0}

    async def loop(ws: ClientConnection) -> None:
        while (sent := time.monotonic()) < until:
            try:
                await ws.send(args.message)
                reply = await ws.recv()
            except Exception:
                counts["closed"] += 1
                return
            done = time.monotonic()
            counts["all"] += 1
            if args.expect and reply != args.expect:
                counts["unexpected"] += 1
            if measured_from <= sent and done <= until:
                latencies.append(done - sent)

    await asyncio.gather(*(loop(ws) for ws in connections))
    await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)
    latencies.sort()

    def percentile(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(int(p * len(latencies)), len(latencies) - 1)] * 1000

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "connections": len(connections),
        "failed": failed,
        "measured": len(latencies),
        "seconds": args.duration,
        "all": counts["all"],
        "unexpected": counts["unexpected"],
        "closed": counts["closed"],
        "p50_ms": percentile(0.5),
        "p99_ms": percentile(0.99),
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }


async def idle(args: argparse.Namespace) -> None:
    connections, failed = await _open(args.url, args.connections)
    print(json.dumps({"open": len(connections), "failed": failed}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["roundtrip", "idle"])
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--message", default='{"action": "echo"}')
    parser.add_argument("--expect", default="", help="the reply every message must get")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.mode == "roundtrip":
        print(json.dumps(asyncio.run(roundtrip(args))), flush=True)
    else:
        asyncio.run(idle(args))


if __name__ == "__main__":
    main()
