"""Run the real application under gunicorn for tests and benchmarks.

    with LiveServer(database_url, workers=2) as live:
        requests.get(live.url("/api/health"))

The server is a separate process tree (master + workers) that shares nothing with the
caller but the database (and Redis when REDIS_URL is set), exactly like a deployment.
Tests must use ``transactional_db`` so their rows are committed and visible to it, and
``current_database_url()`` to point it at the test database.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60
ACCESS_LINE = re.compile(r"pid=<(?P<pid>\d+)> rid=(?P<rid>\S+)")  # gunicorn.conf.py's format


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict):
    """A DATABASE_URL for a Django connection's settings (after the test DB was created)."""
    engine, name = settings_dict["ENGINE"], settings_dict["NAME"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{Path(name).resolve()}"
    if engine.endswith("postgresql"):
        user = quote(settings_dict.get("USER") or "", safe="")
        password = settings_dict.get("PASSWORD") or ""
        auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{name}"
    raise ValueError(f"No DATABASE_URL for engine {engine}")


def running_django_env():
    from django.conf import settings

    return settings.DJANGO_ENV if settings.configured else os.environ.get("DJANGO_ENV", "testing")


def current_database_url():
    from django.db import connection

    return database_url(connection.settings_dict)


class LiveServer:
    def __init__(self, db_url, workers=2, env=None, threads=1):
        self.db_url = db_url
        self.workers = workers
        self.threads = threads
        self.extra_env = env or {}
        self.port = None
        self.process = None
        self.log = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def url(self, path):
        return self.base_url + path

    def start(self):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="itam-gunicorn-", suffix=".log", delete=False)
        self.access_log_path = self.log.name.replace(".log", ".access.log")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "itam.settings",
            # The caller's environment, so that password hashes and keys agree with its own.
            "DJANGO_ENV": running_django_env(),
            "DATABASE_URL": self.db_url,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_THREADS": str(self.threads),
            "GUNICORN_ACCESS_LOG": self.access_log_path,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(BASE_DIR / "gunicorn.conf.py"), "itam.wsgi:application"],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches every worker
        )
        self._wait_until_healthy()
        return self

    def _wait_until_healthy(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(self.url("/api/health"), timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        output = self.output()
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /api/health within {START_TIMEOUT}s:\n{output}")

    def workers_serving(self, request_ids, timeout=5):
        """{request id: worker pid} from the access log, for requests sent with X-Request-ID.

        A worker writes the line just after it has sent the response, so wait for it a little.
        """
        wanted, served = set(request_ids), {}
        deadline = time.monotonic() + timeout
        while True:
            for line in Path(self.access_log_path).read_text(errors="replace").splitlines():
                match = ACCESS_LINE.search(line)
                if match and match["rid"] in wanted:
                    served[match["rid"]] = int(match["pid"])
            if len(served) == len(wanted) or time.monotonic() > deadline:
                return served
            time.sleep(0.05)

    def output(self):
        return Path(self.log.name).read_text(errors="replace") if self.log else ""

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)
        Path(self.access_log_path).unlink(missing_ok=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
