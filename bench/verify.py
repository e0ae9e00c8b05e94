"""Verification throughput under gunicorn, as a ratio to /healthz on the same server (issue 5).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/alliancemark_bench \\
        .venv/bin/python bench/verify.py [--licences 1000 100000] [--duration 10] [--rounds 5]

For each size: re-create the tables and seed N licences (bench/seed.py, refuses databases whose
name lacks "bench"/"test"), start gunicorn on 127.0.0.1 against that database, then measure with
the same load generator (wrk when installed, else a bounded Python thread pool over http.client),
on the same server: `/healthz`, `/V/<token>` and `/api/v1/verify/<token>`, each warmed up, then
taking turns in --rounds slices of the --duration (rotating the order), the tokens drawn at
random from 1 000 seeded certificates (so the index is really used and the scan counters do not
all hit one row). Every verification request logs a scan, as in production; the rate limit
stays on but is raised far above the load.

Targets: page >= 0.5 x healthz, JSON >= 0.7 x healthz; ratios at 1 000 within 20% of 100 000.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def seed(n: int, env: dict, tokens_file: Path) -> None:
    subprocess.run([PY, str(ROOT / "bench" / "seed.py"), "--licences", str(n), "--reset",
                    "--tokens-out", str(tokens_file)], env=env, check=True, cwd=ROOT)


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    factory = os.environ.get('BENCH_FACTORY') or "app:create_app({'VERIFY_RATE_LIMIT': '100000000/minute', 'REGISTRY_RATE_LIMIT': '100000000/minute'})"
    proc = subprocess.Popen([str(Path(PY).parent / "gunicorn"), "-w", str(workers), "-k", "sync",
                             "-b", f"127.0.0.1:{port}", "--log-level", "warning", factory],
                            env=env, cwd=ROOT, start_new_session=True)
    wait_until_up(proc, port)
    return proc


def wait_until_up(proc: subprocess.Popen, port: int) -> None:
    """Wait (30 s at most) for /healthz to answer, or stop the server and give up."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("gunicorn did not start")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


WRK_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
"""


def wrk_rate(port: int, paths: list[str], duration: int, connections: int, threads: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n")
        script = Path(tmp) / "paths.lua"
        script.write_text(WRK_SCRIPT % listing)
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
                              "-s", str(script), f"http://127.0.0.1:{port}"],
                             capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


def python_rate(port: int, paths: list[str], duration: int, connections: int, _threads: int) -> tuple[float, int]:
    stop = time.monotonic() + duration
    counts, bad = [0] * connections, [0] * connections

    def worker(i: int) -> None:
        rnd = random.Random(i)
        while time.monotonic() < stop:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", rnd.choice(paths))
            response = conn.getresponse()
            response.read()
            conn.close()
            counts[i] += 1
            bad[i] += response.status >= 400

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - started), sum(bad)


def measure(n: int, args, env: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tokens_file = Path(tmp) / "tokens.txt"
        seed(n, env, tokens_file)
        tokens = tokens_file.read_text().split()
    proc = start_server(env, args.port, args.workers)
    load = wrk_rate if shutil.which("wrk") and not args.python_load else python_rate
    endpoints = {"healthz": ["/healthz"], "page": [f"/V/{t}" for t in tokens],
                 "json": [f"/api/v1/verify/{t}" for t in tokens]}
    try:
        for paths in endpoints.values():
            load(args.port, paths, args.warmup, args.connections, args.threads)  # warm-up
        # The endpoints take turns in short slices, in a rotating order, so that whatever else the
        # machine does meanwhile (autovacuum, a checkpoint, a busy neighbour) falls on all of them
        # alike instead of on whichever was measured at that moment.
        slices: dict[str, list[tuple[float, int]]] = {name: [] for name in endpoints}
        names = list(endpoints)
        seconds = max(1, round(args.duration / args.rounds))
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                slices[name].append(load(args.port, endpoints[name], seconds, args.connections, args.threads))
    finally:
        stop_server(proc)
    return {name: (sum(rate for rate, _ in got) / len(got), sum(bad for _, bad in got))
            for name, got in slices.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint (max 60)")
    parser.add_argument("--rounds", type=int, default=5, help="turns the endpoints take within --duration")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=6, help="seconds of load before each measurement")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even if wrk exists")
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 60))
    args.rounds = max(1, min(args.rounds, args.duration))
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("set DATABASE_URL to a benchmark database (its name must contain 'bench')")
    keys = tempfile.mkdtemp(prefix="am-bench-keys-")
    env = {**os.environ, "ALLIANCEMARK_KEYS_DIR": keys, "PUBLIC_BASE_URL": "HTTP://127.0.0.1",
           "PYTHONPATH": str(ROOT)}
    rows = []
    try:
        for n in args.licences:
            r = measure(n, args, env)
            page, json_ = r["page"][0] / r["healthz"][0], r["json"][0] / r["healthz"][0]
            rows.append((n, r, page, json_))
            print(f"{n:>7} licences: healthz {r['healthz'][0]:8.0f} req/s | page {r['page'][0]:8.0f} req/s "
                  f"(x{page:.2f}) | json {r['json'][0]:8.0f} req/s (x{json_:.2f}) | non-2xx "
                  f"{r['healthz'][1]}/{r['page'][1]}/{r['json'][1]}", flush=True)
    finally:
        shutil.rmtree(keys, ignore_errors=True)
    for n, _r, page, json_ in rows:
        print(f"{n:>7}: page/healthz {page:.2f} (target >= 0.50) {'ok' if page >= 0.5 else 'MISSED'}; "
              f"json/healthz {json_:.2f} (target >= 0.70) {'ok' if json_ >= 0.7 else 'MISSED'}")
    if len(rows) >= 2:
        (n1, _, p1, j1), (n2, _, p2, j2) = rows[0], rows[-1]
        dp, dj = abs(p1 - p2) / p2, abs(j1 - j2) / j2
        print(f"ratios at {n1} vs {n2}: page differs {dp:.0%}, json differs {dj:.0%} (target within 20%) "
              f"{'ok' if dp <= 0.2 and dj <= 0.2 else 'MISSED'}")


if __name__ == "__main__":
    main()
