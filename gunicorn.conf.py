"""gunicorn settings for ITAM: `gunicorn -c gunicorn.conf.py itam.wsgi`.

Everything an operator tunes comes from the environment (docs/DEPLOYMENT.md), so one file
serves every host. The app keeps no state in its processes (cache, throttles and token
revocations live in Redis or the database), so any number of workers and hosts may run.
"""
import multiprocessing
import os
import tempfile
from pathlib import Path


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Behind nginx on the same host; set GUNICORN_BIND=0.0.0.0:8000 when the proxy is elsewhere.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9))
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 60)  # an import of a large workbook is the slowest request
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak in any library cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Import Django once in the master: faster forks, and a broken configuration fails at start
# instead of in every worker.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in {"0", "false", "no"}

# Request line limits; bodies are limited by Django (DATA_UPLOAD_MAX_MEMORY_SIZE) and nginx.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Only the local proxy may tell us the original scheme and client (X-Forwarded-*).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The X-Request-ID the app returns ties an access-log line to its audit entries.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms pid=%(p)s rid=%({x-request-id}o)s ua="%(a)s"'
proc_name = "itam"

# gunicorn's runtime control socket has one default path per user, so two instances on a
# host (a test run beside a deployment) would fight over it: opt in with a path of your own.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


def post_fork(server, worker):
    """Never share a database connection the master might have opened before forking."""
    from django.db import connections

    connections.close_all()


# Prometheus (itam/metrics.py): each worker writes its counters to files in this directory
# and a scrape adds up every worker's. Set before the app (and prometheus-client) is loaded;
# without a value, a fresh directory of this server's own.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="itam-metrics-")


def on_starting(server):
    """Counters start at zero with the server: drop the files a previous run left."""
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """A worker that exited (recycled, crashed) stops counting in live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
