#!/usr/bin/env python
"""Fleet-scale benchmarks: API latency next to a raw-SQL baseline, queries per request,
throughput under gunicorn, peak memory. Prints figures; asserts nothing.

    make bench                       # SQLite file var/bench.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/itam_bench make bench

Options: --runs N (at least N timed API/baseline pairs per endpoint, default 15), --load-seconds S (default 30),
--clients N (default 16), --skip-load, --admin-only (only the admin pages, bench/admin.py),
--only-reservations (booking throughput and the reservation jobs' cost at 4,000 GPUs and
10,000 reservations, bench/reservations.py).
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, sys.path[0] is bench/, whose module names could shadow apps.
sys.path[0] = str(ROOT)
DB_URL = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itam.settings")
os.environ.setdefault("DJANGO_ENV", "development")
os.environ["DEBUG"] = "false"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench import admin as admin_bench  # noqa: E402
from bench import baselines  # noqa: E402
from bench.reservations import reservations_section  # noqa: E402

FLEET = dict(datacenters=10, servers=1000, containers_per_server=10, services_per_container=2, gpus_per_server=4, seed=1)


def build_fleet():
    from inventory.models import Server

    call_command("migrate", verbosity=0)
    call_command("init_db", verbosity=0)
    if Server.objects.count() != FLEET["servers"]:
        started = time.perf_counter()
        call_command("seed_demo", **FLEET, verbosity=0)
        print(f"built the benchmark fleet in {time.perf_counter() - started:.1f} s")


def admin_token():
    from rest_framework_simplejwt.tokens import RefreshToken

    return str(RefreshToken.for_user(admin_user()).access_token)


def _median_p95(samples):
    samples = sorted(samples)
    return statistics.median(samples), samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]


def timed_pairs(api, baseline, runs, budget_s=2.0, max_runs=300):
    """Times the API and its baseline alternately, one call each per pair, so both see the
    same machine (on a shared machine speed drifts by 2x within seconds; two separate series
    would compare different moments). At least ``runs`` pairs, more while ``budget_s`` lasts.
    Returns (API median, API p95, baseline median, baseline p95, median of pair ratios, pairs)."""
    api(), baseline()  # warm-up: caches, connections
    api_ms, base_ms, ratios = [], [], []
    started = time.perf_counter()
    while len(ratios) < runs or (time.perf_counter() - started < budget_s and len(ratios) < max_runs):
        t0 = time.perf_counter()
        api()
        t1 = time.perf_counter()
        baseline()
        t2 = time.perf_counter()
        api_ms.append((t1 - t0) * 1000)
        base_ms.append((t2 - t1) * 1000)
        ratios.append((t1 - t0) / (t2 - t1))
    return (*_median_p95(api_ms), *_median_p95(base_ms), statistics.median(ratios), len(ratios))


def endpoints():
    from inventory.models import Server

    server_id = Server.objects.order_by("id").values_list("id", flat=True)[Server.objects.count() // 2]
    return [
        ("GET /api/servers?page_size=100", "/api/servers?page_size=100", baselines.servers_page),
        (f"GET /api/servers/{{id}}", f"/api/servers/{server_id}", lambda: baselines.server_detail(server_id)),
        ("GET /api/servers/tree?expand_level=1", "/api/servers/tree?expand_level=1", lambda: baselines.tree(1)),
        ("GET /api/servers/tree?expand_level=2", "/api/servers/tree?expand_level=2", lambda: baselines.tree(2)),
        ("GET /api/servers/tree?expand_level=3", "/api/servers/tree?expand_level=3", lambda: baselines.tree(3)),
        ("GET /api/containers?page_size=100", "/api/containers?page_size=100", baselines.containers_page),
        ("GET /api/gpus?page_size=100", "/api/gpus?page_size=100", baselines.gpus_page),
        ("GET /api/search?keyword=web", "/api/search?keyword=web", lambda: baselines.search("web")),
        ("GET /api/audit-logs?page_size=100", "/api/audit-logs?page_size=100", baselines.audit_page),
        ("GET /api/datacenters/overview", "/api/datacenters/overview", baselines.overview),
    ]


def admin_user():
    from accounts.models import User

    return User.objects.filter(role="admin").order_by("id").first()


def latency_table(runs, cookie=False, only=()):
    # Django resets the query log and recycles connections at each request start; the
    # benchmark wants the queries of one request and a warm connection, like a worker's.
    from django.core.signals import request_started
    from django.db import close_old_connections, reset_queries

    request_started.disconnect(reset_queries)
    request_started.disconnect(close_old_connections)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {admin_token()}")
    if cookie:  # a browser client: the login's session cookie rides along with every call
        client.force_login(admin_user())
    rows = []
    for label, url, baseline in endpoints():
        if only and not any(part in label for part in only):
            continue
        response = client.get(url)
        status = response.status_code
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        queries = len(ctx.captured_queries)
        # Sizes side by side show the baseline carries the same payload as the API.
        sizes = f"{len(response.content) / 1024:.0f} / {len(baseline().encode()) / 1024:.0f}"
        rows.append((label, status, queries, sizes, *timed_pairs(lambda: client.get(url), baseline, runs)))
    print(f"\n## Latency (API and baseline timed alternately, at least {runs} pairs each, in-process Django test "
          f"client, {connection.vendor}{', with the session cookie' if cookie else ''})\n")
    print("| endpoint | status | queries | KiB API / baseline | pairs | API median ms | API p95 ms | baseline median ms "
          "| baseline p95 ms | ratio (median of pairs) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, status, queries, sizes, am, ap, bm, bp, ratio, pairs in rows:
        print(f"| `{label}` | {status} | {queries} | {sizes} | {pairs} | {am:.1f} | {ap:.1f} | {bm:.1f} | {bp:.1f} "
              f"| {ratio:.2f}x |")
    return rows


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def children_of(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    return [int(p) for p in out.split()]


def load_test(seconds, clients):
    """Mixed reads and writes against gunicorn (2 workers) on loopback."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=DB_URL, DJANGO_ENV="development", DEBUG="false")
    # The access log of a load run is thousands of lines: it goes to a file, not the table.
    log = open(ROOT / "var" / "bench_gunicorn.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "itam.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    token = admin_token()
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/health", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        from inventory.models import Server

        server_ids = list(Server.objects.values_list("id", flat=True)[:50])
        counts = {"ok": 0, "errors": 0, "reads": 0, "writes": 0}
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def call(method, path, body=None):
            data = json.dumps(body).encode() if body is not None else None
            req = urllib.request.Request(base + path, data=data, method=method, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    return resp.status, json.loads(resp.read() or b"null")
            except urllib.error.HTTPError as exc:
                return exc.code, None
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return 599, None

        def worker(n):
            i = 0
            while time.monotonic() < deadline:
                i += 1
                sid = server_ids[(n * 7 + i) % len(server_ids)]
                if i % 5 == 0:  # a write pair: create a container, then delete it
                    status, body = call("POST", "/api/containers", {"name": f"load-{n}-{i}", "server_id": sid})
                    results = [status]
                    if status == 201:
                        results.append(call("DELETE", f"/api/containers/{body['data']['id']}")[0])
                    kind = "writes"
                else:
                    path = ["/api/servers?page_size=100", f"/api/servers/{sid}", "/api/gpus?page_size=100",
                            "/api/search?keyword=web", "/api/containers?page_size=50"][i % 5 - 1]
                    results = [call("GET", path)[0]]
                    kind = "reads"
                with lock:
                    for status in results:
                        counts[kind] += 1
                        counts["ok" if status < 400 else "errors"] += 1

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        rss = [peak_rss_kb(pid) for pid in children_of(proc.pid)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    total = counts["ok"] + counts["errors"]
    print(f"\n## Load: gunicorn 2 workers, {clients} clients, {elapsed:.0f} s, mixed reads/writes\n")
    print("| requests | reads | writes | errors | throughput req/s | peak RSS per worker (MiB) |")
    print("|---|---|---|---|---|---|")
    print(f"| {total} | {counts['reads']} | {counts['writes']} | {counts['errors']} | {total / elapsed:.1f} | "
          f"{', '.join(f'{kb / 1024:.0f}' for kb in rss) or 'n/a'} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--load-seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--cookie", action="store_true", help="the client also carries a session cookie (a browser)")
    parser.add_argument("--only", action="append", default=[], help="only endpoints whose label contains this")
    parser.add_argument("--admin-only", action="store_true", help="only the admin pages (bench/admin.py)")
    parser.add_argument("--only-reservations", action="store_true", help="only the GPU reservation figures")
    args = parser.parse_args()
    build_fleet()
    print(f"database: {connection.vendor}; python {sys.version.split()[0]}; {os.cpu_count()} cores")
    if not args.admin_only:
        reservations_section()
        if args.only_reservations:
            return
        latency_table(args.runs, cookie=args.cookie, only=args.only)
    admin_bench.admin_table(admin_user(), args.runs)
    if args.admin_only:
        return
    if not args.skip_load:
        load_test(args.load_seconds, args.clients)
    print(f"\npeak RSS of this (benchmark) process: {peak_rss_kb(os.getpid()) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
