"""Soak: mixed reads and writes from many clients against gunicorn + PostgreSQL, then a
reconciliation of what the clients were told against what the database holds.

    python bench/soak.py [--seconds 60] [--clients 16] [--workers 4] [--database-url URL]

The database (default postgres://postgres@127.0.0.1:5432/itam_soak) is dropped and
recreated. Every request carries its own X-Request-ID, so each acknowledged write can be
matched to its audit entry. After the run:

- every acknowledged create (201) of a server that was not deleted afterwards exists;
- every acknowledged delete (200) is gone;
- the audit log has exactly one entry per acknowledged write (right action, resource and
  request id) and none for reads, refused writes or requests whose outcome is unknown.

It prints the figures and exits non-zero when anything does not reconcile.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on the path, and bench/import_export.py would then
# shadow the django-import-export app: the project root takes its place.
if Path(sys.path[0]).resolve() == BASE_DIR / "bench":
    sys.path[0] = str(BASE_DIR)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/itam_soak"
ADMIN = ("admin", "admin123")  # init_db's defaults outside production


@dataclass
class Write:
    """An acknowledged write and the audit entry it must have produced."""

    request_id: str
    action: str
    resource_type: str
    resource_id: int


@dataclass
class Tally:
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    writes: list = field(default_factory=list)
    created: dict = field(default_factory=dict)  # server id -> name
    deleted: set = field(default_factory=set)
    unknown: list = field(default_factory=list)  # request ids whose outcome was never seen
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One simulated user: a thread with its own HTTP session and its own servers."""

    def __init__(self, number, base_url, token, fleet, tally, rng):
        self.number, self.base_url, self.fleet, self.tally, self.rng = number, base_url, fleet, tally, rng
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.mine = []  # ids of servers this client created and has not deleted
        self.sequence = 0

    def call(self, kind, method, path, body=None):
        self.sequence += 1
        rid = f"soak-{self.number}-{self.sequence}-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base_url + path, json=body, timeout=30,
                                            headers={"X-Request-ID": rid})
        except requests.RequestException:
            with self.tally.lock:
                self.tally.unknown.append(rid)
                self.tally.statuses[(kind, "error")] += 1
            return rid, None
        elapsed = time.perf_counter() - started
        with self.tally.lock:
            self.tally.latencies[kind].append(elapsed)
            self.tally.statuses[(kind, response.status_code)] += 1
        return rid, response

    def acknowledge(self, rid, action, resource_type, resource_id):
        with self.tally.lock:
            self.tally.writes.append(Write(rid, action, resource_type, resource_id))

    # --- operations -----------------------------------------------------------------------------

    def read(self):
        path = self.rng.choice([
            f"/api/servers?page={self.rng.randint(1, 3)}&page_size=50",
            f"/api/servers/{self.rng.choice(self.fleet['servers'])}",
            "/api/servers/tree?expand_level=2",
            "/api/gpus?page_size=100",
            "/api/datacenters/overview",
            f"/api/search?keyword=soak-{self.rng.randint(0, 15)}",
            "/api/containers?page_size=50",
        ])
        self.call("read", "get", path)

    def create(self):
        name = f"soak-{self.number}-{self.sequence + 1}"
        body = {"name": name, "datacenter_id": self.fleet["datacenter"], "environment_id": self.fleet["environment"],
                "internal_ip": f"10.{200 + self.number % 50}.{self.sequence % 250}.{self.rng.randint(1, 250)}"}
        rid, response = self.call("create", "post", "/api/servers", body)
        if response is not None and response.status_code == 201:
            server_id = response.json()["data"]["id"]
            self.mine.append(server_id)
            with self.tally.lock:
                self.tally.created[server_id] = name
            self.acknowledge(rid, "create", "server", server_id)

    def update(self):
        if not self.mine:
            return self.create()
        server_id = self.rng.choice(self.mine)
        body = {"description": f"soak update {uuid.uuid4().hex}", "cpu_usage": round(self.rng.uniform(0, 100), 1)}
        rid, response = self.call("update", "put", f"/api/servers/{server_id}", body)
        if response is not None and response.status_code == 200:
            self.acknowledge(rid, "update", "server", server_id)

    def delete(self):
        if not self.mine:
            return self.create()
        server_id = self.mine.pop(self.rng.randrange(len(self.mine)))
        rid, response = self.call("delete", "delete", f"/api/servers/{server_id}")
        if response is not None and response.status_code == 200:
            with self.tally.lock:
                self.tally.deleted.add(server_id)
            self.acknowledge(rid, "delete", "server", server_id)
        elif response is None:  # it may or may not have happened: nothing to check about it
            with self.tally.lock:
                self.tally.created.pop(server_id, None)
        else:
            self.mine.append(server_id)

    def assign_or_release(self):
        """Contended on purpose: many clients race for a few GPUs; a 422 is a correct answer."""
        gpu = self.rng.choice(self.fleet["gpus"])
        if self.rng.random() < 0.5:
            rid, response = self.call("assign", "post", f"/api/gpus/{gpu}/assign",
                                      {"user_id": self.rng.choice(self.fleet["users"]), "purpose": "soak"})
            action = "assign"
        else:
            rid, response = self.call("release", "post", f"/api/gpus/{gpu}/release", {"reason": "soak"})
            action = "release"
        if response is not None and response.status_code == 200:
            self.acknowledge(rid, action, "gpu", gpu)

    def run(self, deadline):
        operations = [self.read] * 55 + [self.create] * 15 + [self.update] * 15 + [self.delete] * 7
        operations += [self.assign_or_release] * 8
        while time.monotonic() < deadline:
            self.rng.choice(operations)()


# --- set-up ---------------------------------------------------------------------------------------


def recreate_postgres_database(database_url):
    import psycopg

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def prepare(database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_ENV": "development"}
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    for args in (["migrate", "--noinput", "-v0"], ["createcachetable"], ["init_db"],
                 ["seed_demo", "--servers", "40", "--seed", "11"]):
        subprocess.run([*manage, *args], cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL)


def fleet_of(live, token):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def data(path):
        response = session.get(live.url(path), timeout=30)
        response.raise_for_status()
        return response.json()["data"]

    return {
        "datacenter": data("/api/datacenters")[0]["id"],
        "environment": data("/api/environments")[0]["id"],
        "servers": [s["id"] for s in data("/api/servers?page_size=100")],
        "gpus": [g["id"] for g in data("/api/gpus?page_size=100")][:6],
        "users": [u["id"] for u in data("/api/users/options")],
    }


# --- reconciliation ----------------------------------------------------------------------------------


def reconcile(database_url, tally):
    """-> list of problems (empty when the database agrees with every acknowledgement)."""
    os.environ.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "itam.settings",
                       "DJANGO_ENV": "development"})
    import django

    django.setup()
    from audit.models import AuditLog
    from inventory.models import Server

    problems = []
    alive = {pk: name for pk, name in tally.created.items() if pk not in tally.deleted}
    existing = dict(Server.objects.filter(pk__in=alive).values_list("pk", "name"))
    problems += [f"acknowledged create of server {pk} ({name}) is missing" for pk, name in alive.items()
                 if existing.get(pk) != name]
    still_there = set(Server.objects.filter(pk__in=tally.deleted).values_list("pk", flat=True))
    problems += [f"acknowledged delete of server {pk} did not happen" for pk in sorted(still_there)]

    entries = defaultdict(list)
    for entry in AuditLog.objects.filter(request_id__startswith="soak-").values(
        "request_id", "action", "resource_type", "resource_id"
    ):
        entries[entry["request_id"]].append(entry)
    for write in tally.writes:
        found = entries.pop(write.request_id, [])
        expected = {"request_id": write.request_id, "action": write.action,
                    "resource_type": write.resource_type, "resource_id": write.resource_id}
        if found != [expected]:
            problems.append(f"{write.action} {write.resource_type} {write.resource_id} ({write.request_id}): "
                            f"expected one audit entry, found {found}")
    unknown = set(tally.unknown)
    for rid, found in entries.items():
        if rid not in unknown:
            problems.append(f"audit entries for a request that was not an acknowledged write: {found}")
    return problems, len(alive), len(tally.deleted)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(tally, seconds, clients, workers):
    total = sum(len(v) for v in tally.latencies.values())
    print(f"\n{clients} clients, {workers} gunicorn workers, {seconds:.0f} s: "
          f"{total} answered requests, {total / seconds:.0f} req/s, {len(tally.unknown)} without an answer")
    print(f"{'operation':<10}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses")
    for kind in ("read", "create", "update", "delete", "assign", "release"):
        values = tally.latencies.get(kind, [])
        if not values:
            continue
        statuses = ", ".join(f"{status}: {n}" for (k, status), n in sorted(tally.statuses.items(), key=str) if k == kind)
        print(f"{kind:<10}{len(values):>8}{statistics.median(values) * 1000:>9.1f}"
              f"{percentile(values, 0.95) * 1000:>9.1f}{percentile(values, 0.99) * 1000:>9.1f}"
              f"{max(values) * 1000:>9.1f}  {statuses}")
    writes = Counter(w.action for w in tally.writes)
    print("acknowledged writes: " + ", ".join(f"{action} {n}" for action, n in sorted(writes.items()))
          + f" (total {len(tally.writes)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="dropped and recreated")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from tests.live import LiveServer

    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the soak runs against PostgreSQL")
    print(f"Recreating {args.database_url} ...", flush=True)
    recreate_postgres_database(args.database_url)
    prepare(args.database_url)

    tally = Tally()
    env = {"DJANGO_ENV": "development", "DEBUG": "false"}
    with LiveServer(args.database_url, workers=args.workers, env=env) as live:
        login = requests.post(live.url("/api/auth/login"), json=dict(zip(("username", "password"), ADMIN)), timeout=30)
        login.raise_for_status()
        token = login.json()["data"]["access_token"]
        fleet = fleet_of(live, token)
        print(f"Soaking {live.base_url} for {args.seconds:.0f} s with {args.clients} clients ...", flush=True)
        clients = [Client(n, live.base_url, token, fleet, tally, random.Random(args.seed * 1000 + n))
                   for n in range(args.clients)]
        started = time.monotonic()
        deadline = started + args.seconds
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            for future in [pool.submit(client.run, deadline) for client in clients]:
                future.result()
        elapsed = time.monotonic() - started
        server_errors = live.output().count("Traceback")

    report(tally, elapsed, args.clients, args.workers)
    problems, alive, deleted = reconcile(args.database_url, tally)
    five_xx = sum(n for (kind, status), n in tally.statuses.items() if isinstance(status, int) and status >= 500)
    print(f"reconciliation: {alive} created servers present, {deleted} deleted servers gone, "
          f"{len(tally.writes)} writes with exactly one audit entry each"
          if not problems else f"reconciliation: {len(problems)} problems")
    for problem in problems[:50]:
        print("  " + problem)
    print(f"5xx responses: {five_xx}; server tracebacks: {server_errors}")
    return 1 if problems or five_xx or server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
