"""Feed throughput against the framework's own ceiling, measured in one run on 127.0.0.1.

The feeds part of `make bench`. It loads the CHIV summer scenario into a temporary SQLite
database, publishes a rota (a quick greedy one: serving a feed does not care how the rota was
made), starts uvicorn on a free port with a constant endpoint added to the same app, and
drives three endpoints with a keep-alive load generator, in rounds so that background noise
falls on all of them alike:
- `constant`: a fixed small response, the ceiling of this app on this server;
- `feed 200`: the busiest doctor's feed, full body;
- `feed 304`: the same URL with If-None-Match, as a calendar client polls it.
It prints a table, writes bench-results/feeds.json and reports each feed path as a ratio of
the ceiling (target: 304 path ≥ 0.8), by requests per second and, less sensitive to whatever
else the machine runs, by requests per second of the server's CPU time. It stops by itself:
about 40 s with the defaults (set-up, then rounds × 3 endpoints × slice).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from sqlmodel import Session

from scheduler.api import create_app
from scheduler.domain.enums import TokenKind
from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment, Rota, SolveStatus
from scheduler.engine.greedy import greedy_rota as engine_greedy_rota
from scheduler.publication.publish import publish
from scheduler.scenario.inputs import read_input
from scheduler.storage import tokens
from scheduler.storage.db import make_engine, migrate
from scheduler.storage.loader import load_scenario_into
from scheduler.storage.rotas import save_rota

CONSTANT_PATH = "/bench/constant"
TARGET_304_RATIO = 0.8


def bench_app() -> FastAPI:
    """The service (configured from the environment) plus a constant endpoint: the ceiling."""
    app = create_app()

    @app.get(CONSTANT_PATH, include_in_schema=False)
    async def constant() -> PlainTextResponse:
        return PlainTextResponse("ok")

    return app


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    expect: int = 200

    def request(self) -> bytes:
        extra = "".join(f"{k}: {v}\r\n" for k, v in self.headers)
        return f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode("ascii")


@dataclass(frozen=True)
class Result:
    endpoint: str
    requests: int
    seconds: float
    requests_per_second: float
    #: Requests per second of CPU time used by the server: insensitive to other load.
    requests_per_server_cpu_second: float | None
    body_bytes: int


# Set-up: a published rota in a fresh database -----------------------------------------------

def greedy_rota(problem: Problem) -> list[Assignment]:
    """A quick rota keeping every hard rule (the engine's greedy one, `engine.greedy`; no
    solve needed to serve feeds, and publishing refuses a rota breaking a rule)."""
    return [Assignment(doctor=d, slot=s) for d, s in sorted(engine_greedy_rota(problem))]


def prepare(database_url: str, scenario: Path) -> str:
    """Load, publish, and return the URL path of the busiest doctor's feed."""
    loaded = read_input(scenario)
    assert loaded.scenario is not None, f"{scenario}: a scenario file is needed"
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            load_scenario_into(session, loaded.scenario, loaded.problem, loaded.digest,
                               now=datetime.now(UTC))
            assignments = greedy_rota(loaded.problem)
            rota = Rota(status=SolveStatus.FEASIBLE, assignments=assignments)
            save_rota(session, loaded.problem.period.id, loaded.problem, rota)
            now = datetime.now(UTC)
            publish(session, loaded.problem.period.id, now=now)
            shifts = Counter(a.doctor for a in assignments)
            busiest = max(sorted(shifts), key=lambda d: shifts[d])
            secret = tokens.issue(session, TokenKind.FEED, now=now, doctor_id=busiest)
            session.commit()
    finally:
        engine.dispose()
    return f"/feeds/doctor/{secret}.ics"


def start_server(database_url: str, factory: str = "benchmarks.feeds:bench_app",
                 workers: int = 1) -> tuple[subprocess.Popen[str], str, int]:
    """uvicorn serving the app `factory` makes on a free port of 127.0.0.1 (with `workers`
    processes: then on a port chosen here); returns (process, host, port)."""
    env = {**os.environ, "SCHEDULER_DATABASE_URL": database_url}
    port = "0" if workers == 1 else str(_free_port())
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", factory, "--factory", "--workers", str(workers),
         "--host", "127.0.0.1", "--port", port, "--no-access-log"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    assert server.stderr is not None
    deadline = time.monotonic() + 60
    for line in server.stderr:
        if "Uvicorn running on " in line:
            address = line.split("Uvicorn running on ", 1)[1].split()[0]
            host, _, port = address.removeprefix("http://").rpartition(":")
            # Keep reading what the server writes (errors show here), or a full pipe would
            # block it mid-benchmark.
            threading.Thread(target=_relay, args=(server.stderr,), daemon=True).start()
            _wait_for_health(host, int(port), deadline)
            return server, host, int(port)
        if time.monotonic() > deadline:
            break
    server.kill()
    raise RuntimeError("uvicorn did not start")


def _wait_for_health(host: str, port: int, deadline: float) -> None:
    """Until /health answers (several workers start after the line announcing the port)."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1) as connection:
                connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   b"Connection: close\r\n\r\n")
                if connection.recv(12).endswith(b"200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server never answered /health")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _relay(stream: IO[str]) -> None:
    for line in stream:
        sys.stderr.write(f"[server] {line}")


# Load generator ------------------------------------------------------------------------------

async def _connection(host: str, port: int, endpoint: Endpoint, until: float,
                      counts: list[int]) -> int:
    """One keep-alive connection sending requests back to back; returns the last body size."""
    reader, writer = await asyncio.open_connection(host, port)
    request, body = endpoint.request(), b""
    try:
        while time.monotonic() < until:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            if status != endpoint.expect:
                raise RuntimeError(f"{endpoint.name}: HTTP {status}, expected {endpoint.expect}")
            length = _content_length(head)
            body = await reader.readexactly(length) if length else b""
            counts[0] += 1
    finally:
        writer.close()
    return len(body)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def _drive(host: str, port: int, endpoint: Endpoint, seconds: float, connections: int
                 ) -> tuple[int, float, int]:
    """(responses, elapsed seconds, body size) of `connections` clients for `seconds`."""
    counts = [0]
    start = time.monotonic()
    sizes = await asyncio.gather(*(
        _connection(host, port, endpoint, start + seconds, counts) for _ in range(connections)
    ))
    return counts[0], time.monotonic() - start, max(sizes)


def measure(server: subprocess.Popen[str], host: str, port: int, endpoints: list[Endpoint],
            *, slice_seconds: float, connections: int, rounds: int) -> list[Result]:
    """Each endpoint driven for `rounds` short slices, in turn, after a warm-up slice each.

    Fine interleaving spreads whatever else the machine does evenly over the endpoints.
    """
    requests: Counter[str] = Counter()
    seconds: defaultdict[str, float] = defaultdict(float)
    cpu: defaultdict[str, float] = defaultdict(float)
    sizes: dict[str, int] = {}
    for endpoint in endpoints:
        asyncio.run(_drive(host, port, endpoint, slice_seconds, connections))
    for _ in range(rounds):
        for endpoint in endpoints:
            cpu_before = _cpu_seconds(server.pid)
            count, elapsed, sizes[endpoint.name] = asyncio.run(
                _drive(host, port, endpoint, slice_seconds, connections))
            cpu_after = _cpu_seconds(server.pid)
            requests[endpoint.name] += count
            seconds[endpoint.name] += elapsed
            if cpu_before is not None and cpu_after is not None:
                cpu[endpoint.name] += cpu_after - cpu_before
    return [
        Result(endpoint=e.name, requests=requests[e.name], seconds=round(seconds[e.name], 3),
               requests_per_second=round(requests[e.name] / seconds[e.name], 1),
               requests_per_server_cpu_second=(
                   round(requests[e.name] / cpu[e.name], 1) if cpu[e.name] else None),
               body_bytes=sizes[e.name])
        for e in endpoints
    ]


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# Report ----------------------------------------------------------------------------------------

def ratios(results: list[Result]) -> dict[str, dict[str, float | None]]:
    """Each feed path ÷ the constant endpoint, by wall-clock and by server CPU time."""
    ceiling = results[0]
    out: dict[str, dict[str, float | None]] = {}
    for r in results[1:]:
        cpu = None
        if r.requests_per_server_cpu_second and ceiling.requests_per_server_cpu_second:
            cpu = round(r.requests_per_server_cpu_second
                        / ceiling.requests_per_server_cpu_second, 3)
        out[r.endpoint] = {"wall": round(r.requests_per_second / ceiling.requests_per_second, 3),
                           "server_cpu": cpu}
    return out


def table(results: list[Result], by: dict[str, dict[str, float | None]]) -> str:
    lines = [f"{'endpoint':<10} {'req/s':>8} {'÷ constant':>11} {'req/CPU-s':>10} "
             f"{'÷ constant':>11} {'body bytes':>11}"]
    for r in results:
        ratio = by.get(r.endpoint, {"wall": 1.0, "server_cpu": 1.0})
        per_cpu = r.requests_per_server_cpu_second
        cpu_ratio = ratio["server_cpu"]
        lines.append(
            f"{r.endpoint:<10} {r.requests_per_second:>8.1f} {ratio['wall'] or 0:>11.2f} "
            f"{per_cpu if per_cpu is not None else float('nan'):>10.1f} "
            f"{cpu_ratio if cpu_ratio is not None else float('nan'):>11.2f} "
            f"{r.body_bytes:>11}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.feeds",
                                     description="Feed requests/s against a constant endpoint.")
    parser.add_argument("--scenario", type=Path, default=Path("scenarios/chiv-summer-2026.yaml"))
    parser.add_argument("--slice", type=float, default=0.5, metavar="SECONDS",
                        help="one endpoint's turn within a round")
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("bench-results/feeds.json"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-feeds-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        feed = prepare(database_url, args.scenario)
        server, host, port = start_server(database_url)
        try:
            probe = asyncio.run(_etag(host, port, feed))
            endpoints = [
                Endpoint("constant", CONSTANT_PATH),
                Endpoint("feed 200", feed),
                Endpoint("feed 304", feed, (("If-None-Match", probe),), expect=304),
            ]
            results = measure(server, host, port, endpoints, slice_seconds=args.slice,
                              connections=args.connections, rounds=args.rounds)
        finally:
            server.terminate()
            server.wait(timeout=10)
    by = ratios(results)
    print("Feeds on 127.0.0.1 (uvicorn, one worker; "
          f"{args.connections} keep-alive connections; {args.rounds} rounds of "
          f"{args.slice} s per endpoint)")
    print(table(results, by))
    wall = by["feed 304"]["wall"] or 0.0
    met = wall >= TARGET_304_RATIO
    cpu = by["feed 304"]["server_cpu"]
    print(f"304 path at {wall:.2f} of the ceiling in requests/s (target ≥ {TARGET_304_RATIO}): "
          f"{'met' if met else 'NOT met'}"
          + (f"; {cpu:.2f} per server CPU second" if cpu is not None else ""))
    _save(args, results, by, met)
    return 0


async def _etag(host: str, port: int, path: str) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(Endpoint("probe", path).request())
    head = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"etag":
            return value.strip().decode("ascii")
    raise RuntimeError(f"no ETag on {path}")


def _save(args: argparse.Namespace, results: list[Result],
          by: dict[str, dict[str, float | None]], met: bool) -> None:
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "feeds",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "settings": {"slice_seconds": args.slice, "rounds": args.rounds,
                     "connections": args.connections, "scenario": str(args.scenario)},
        "results": [asdict(r) for r in results],
        "ratios_to_constant": by,
        "target_304_ratio": TARGET_304_RATIO,
        "target_met": met,
    }
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"saved {args.out}")


if __name__ == "__main__":
    sys.exit(main())
