"""Prometheus metrics at ``GET /metrics`` (docs/DEPLOYMENT.md, docs/CONFIGURATION.md).

- per request (``MetricsMiddleware``): count and latency per view (the URL pattern's name,
  never the raw path: bounded labels), method and status; database queries per view;
- per scrape: gauges the apps contribute. An app's ``metrics.py`` (found at start like its
  ``tasks.py``) decorates with ``@gauges`` a function yielding metric families, computed with
  a fixed number of queries whatever the fleet size. The job queue's own gauges are here.

Under gunicorn every worker keeps its counters in files under ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multiprocess mode; gunicorn.conf.py sets it up and marks dead workers),
and a scrape served by any worker adds them all up.
"""
import hmac
import os
import time

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REQUESTS = Counter("itam_http_requests", "HTTP requests answered.", ["view", "method", "status"])
LATENCY = Histogram("itam_http_request_duration_seconds", "Time to answer an HTTP request.", ["view", "method"])
QUERIES = Counter("itam_db_queries", "Database queries run while answering requests.", ["view"])

_SOURCES = []


def gauges(source):
    """Register ``source()`` -> iterable of metric families, computed at every scrape."""
    _SOURCES.append(source)
    return source


class _Gauges:
    def collect(self):
        for source in _SOURCES:
            yield from source()


_GAUGES = CollectorRegistry(auto_describe=False)
_GAUGES.register(_Gauges())


def view_label(request):
    match = getattr(request, "resolver_match", None)
    return (match.view_name or match.route or "unnamed") if match else "unresolved"


class MetricsMiddleware:
    """Outermost: times and counts every request, and counts its queries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        view = view_label(request)
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        LATENCY.labels(view, request.method).observe(time.perf_counter() - started)
        if queries[0]:
            QUERIES.labels(view).inc(queries[0])
        return response


def exposition():
    """The text of a scrape: every process's counters, then the gauges computed now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters)
    else:
        counters = REGISTRY
    return generate_latest(counters) + generate_latest(_GAUGES)


def authorized(request):
    """With ``METRICS_TOKEN`` set: ``Authorization: Bearer <token>``. Without: open outside
    production; production without a token serves no metrics at all (404)."""
    token = settings.METRICS_TOKEN
    if not token:
        if settings.IS_PRODUCTION:
            raise Http404
        return True
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_view(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    if not authorized(request):
        return HttpResponse("Unauthorized.\n", status=401, content_type="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


# --- the job queue (itam/jobs.py), either backend ----------------------------------------

def _job_counts():
    """{queue: (queued, failed)}: one query on the database backend, Redis calls on RQ."""
    if settings.TASK_BACKEND == "rq":
        import django_rq  # noqa: PLC0415 - installed with the rq backend only

        counts = {}
        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            counts[name] = (queue.count + queue.scheduled_job_registry.count, queue.failed_job_registry.count)
        return counts
    from django.db.models import Count, Q  # noqa: PLC0415
    from django_tasks_db.models import DBTaskResult  # noqa: PLC0415 - models load after settings

    rows = DBTaskResult.objects.values("queue_name").annotate(
        queued=Count("id", filter=Q(status="READY")), failed=Count("id", filter=Q(status="FAILED"))).order_by()
    counts = {name: (0, 0) for name in settings.TASKS["default"].get("QUEUES", ["default"])}
    counts.update({row["queue_name"]: (row["queued"], row["failed"]) for row in rows})
    return counts


@gauges
def job_gauges():
    queued = GaugeMetricFamily("itam_jobs_queued", "Background jobs waiting (due or deferred).", labels=["queue"])
    failed = GaugeMetricFamily("itam_jobs_failed", "Background jobs that failed (kept by the backend).",
                               labels=["queue"])
    for name, (waiting, failures) in sorted(_job_counts().items()):
        queued.add_metric([name], waiting)
        failed.add_metric([name], failures)
    return [queued, failed]
