"""A mixed load test of the whole app under gunicorn, on loopback only (issue 6).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/alliancemark_bench \\
        .venv/bin/python bench/load.py [--licences 10000] [--duration 20] [--connections 16]

Seeds N licences (bench/seed.py, into a database whose name contains "bench" or "test"), starts
gunicorn the way the Procfile does (gthread workers and threads), and drives it with wrk for a
bounded time with the traffic a mark sees: mostly consumers scanning QR codes (the page and the
JSON), people searching the public registry, staff and integrations reading licences through the
API with a bearer token, and the load balancer's health check. Rate limits are raised for the
run, since every request comes from 127.0.0.1. Prints the throughput, the latency percentiles
and the count of non-2xx answers.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify import seed, stop_server, wait_until_up  # noqa: E402

PY = sys.executable

# share of requests per kind of traffic
MIX = (("page", 60), ("json", 15), ("registry", 10), ("api_licence", 10), ("healthz", 5))

WRK_SCRIPT = """
local requests = {}
for line in io.lines("%(paths)s") do
  local method, path, auth = line:match("^(%%S+) (%%S+) ?(.*)$")
  local headers = {}
  if auth ~= "" then headers["Authorization"] = "Bearer " .. auth end
  requests[#requests + 1] = wrk.format(method, path, headers)
end
request = function() return requests[math.random(#requests)] end
"""


def api_token(env: dict) -> str:
    """Create a staff user on the benchmark database and return a bearer token of it."""
    flask = [str(Path(PY).parent / "flask"), "--app", "app"]
    subprocess.run(flask + ["users", "create", "bench-staff", "--role", "staff", "--password", "bench-pass-1"],
                   env=env, cwd=ROOT, capture_output=True)  # already there on a second run: fine
    out = subprocess.run(flask + ["users", "token", "bench-staff"], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def request_lines(tokens: list[str], token: str, licences: int) -> list[str]:
    rnd = random.Random(7)
    lines = []
    for kind, share in MIX:
        for _ in range(share * 20):
            if kind == "page":
                lines.append(f"GET /V/{rnd.choice(tokens)}")
            elif kind == "json":
                lines.append(f"GET /api/v1/verify/{rnd.choice(tokens)}")
            elif kind == "registry":
                lines.append(f"GET /registry?q=%E5%9F%BA%E5%87%86%E4%BC%81%E4%B8%9A{rnd.randint(1, licences):07d}")
            elif kind == "api_licence":
                lines.append(f"GET /api/v1/licences/{rnd.randint(1, licences)} {token}")
            else:
                lines.append("GET /healthz")
    rnd.shuffle(lines)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=20, help="seconds of measured load (max 120)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    duration = max(1, min(args.duration, 120))
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("set DATABASE_URL to a benchmark database (its name must contain 'bench')")
    if not shutil.which("wrk"):
        raise SystemExit("bench/load.py needs wrk (apt-get install wrk)")
    keys = tempfile.mkdtemp(prefix="am-load-keys-")
    env = {**os.environ, "ALLIANCEMARK_KEYS_DIR": keys, "PUBLIC_BASE_URL": "HTTP://127.0.0.1",
           "PYTHONPATH": str(ROOT), "VERIFY_RATE_LIMIT": "", "REGISTRY_RATE_LIMIT": ""}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tokens_file = Path(tmp) / "tokens.txt"
            seed(args.licences, env, tokens_file)
            tokens = tokens_file.read_text().split()
            token = api_token(env)
            paths = Path(tmp) / "requests.txt"
            paths.write_text("\n".join(request_lines(tokens, token, args.licences)) + "\n")
            script = Path(tmp) / "mix.lua"
            script.write_text(WRK_SCRIPT % {"paths": paths})
            factory = ("app:create_app({'VERIFY_RATE_LIMIT': '100000000/minute', "
                       "'REGISTRY_RATE_LIMIT': '100000000/minute'})")
            proc = subprocess.Popen([str(Path(PY).parent / "gunicorn"), "--workers", str(args.workers),
                                     "--threads", str(args.threads), "-b", f"127.0.0.1:{args.port}",
                                     "--log-level", "warning", factory],
                                    env=env, cwd=ROOT, start_new_session=True)
            try:
                wait_until_up(proc, args.port)
                wrk = ["wrk", "-t", "2", "-c", str(args.connections), "-s", str(script), "--latency",
                       f"http://127.0.0.1:{args.port}"]
                subprocess.run(wrk[:1] + ["-d", "5s"] + wrk[1:], check=True, capture_output=True)  # warm-up
                out = subprocess.run(wrk[:1] + ["-d", f"{duration}s"] + wrk[1:], check=True,
                                     capture_output=True, text=True).stdout
            finally:
                stop_server(proc)
    finally:
        shutil.rmtree(keys, ignore_errors=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    print(f"{args.licences} licences, {args.workers} workers x {args.threads} threads, {args.connections} connections,"
          f" {duration} s: {rate:.0f} req/s ({total} requests), latency p50 {latency.get('50')} p90 "
          f"{latency.get('90')} p99 {latency.get('99')}, non-2xx {bad.group(1) if bad else 0}"
          f"{', socket errors ' + errors.group(1) if errors else ''}")
    print("mix: " + ", ".join(f"{kind} {share}%" for kind, share in MIX))


if __name__ == "__main__":
    main()
