"""GET /metrics: the token rule, request and query counters per view, the job queue and the
inventory gauges at a fixed number of queries whatever the fleet size."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from inventory.services.gpu_assignment import assign_gpu
from inventory.tasks import release_expired_gpu_assignments
from tests.factories import (
    ContainerFactory, DatacenterFactory, GPUFactory, GpuReservationFactory, ServerFactory, UserFactory,
)

pytestmark = pytest.mark.django_db

# inventory: servers, containers, GPUs, assignments; jobs: one more on the database backend
SCRAPE_QUERIES = 5 + (1 if settings.TASK_BACKEND == "database" else 0)


def scrape(client=None, **headers):
    return (client or Client()).get("/metrics", **headers)


def samples(response):
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.content.decode()) for s in family.samples}


def test_open_without_a_token_outside_production():
    response = scrape()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")


def test_with_a_token_only_its_bearer_reads(settings):
    settings.METRICS_TOKEN = "scrape-me"
    assert scrape().status_code == 401
    assert scrape(HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(HTTP_AUTHORIZATION="Basic scrape-me").status_code == 401
    assert scrape(HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200


def test_production_without_a_token_serves_no_metrics(settings):
    settings.IS_PRODUCTION = True
    assert scrape().status_code == 404
    settings.METRICS_TOKEN = "scrape-me"
    assert scrape(HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200


def test_requests_are_counted_per_view_name_and_status_with_their_queries(admin_api):
    labels = {"view": "server-detail", "method": "GET", "status": "404"}
    before = REGISTRY.get_sample_value("itam_http_requests_total", labels) or 0
    queries = REGISTRY.get_sample_value("itam_db_queries_total", {"view": "server-detail"}) or 0
    seconds = REGISTRY.get_sample_value("itam_http_request_duration_seconds_count",
                                        {"view": "server-detail", "method": "GET"}) or 0
    admin_api.get("/servers/999991")
    admin_api.get("/servers/999992")
    assert REGISTRY.get_sample_value("itam_http_requests_total", labels) == before + 2
    assert REGISTRY.get_sample_value("itam_http_request_duration_seconds_count",
                                     {"view": "server-detail", "method": "GET"}) == seconds + 2
    assert REGISTRY.get_sample_value("itam_db_queries_total", {"view": "server-detail"}) > queries


def _fleet(size, first=0):
    for i in range(first, first + size):
        server = ServerFactory(datacenter=DatacenterFactory(name=f"DC{i}"), status="online")
        ContainerFactory(server=server, status="running")
        GPUFactory(server=server)


def test_the_gauges_count_the_fleet_with_a_fixed_number_of_queries(django_assert_num_queries, admin_user):
    _fleet(2)
    gpu = GPUFactory()
    assign_gpu(gpu.id, UserFactory().id, by=admin_user, expires_at=timezone.now() + timedelta(hours=3))
    assign_gpu(GPUFactory().id, UserFactory().id, by=admin_user, expires_at=timezone.now() + timedelta(days=3))
    GpuReservationFactory(gpu=gpu, starts_at=timezone.now() + timedelta(days=1),
                          ends_at=timezone.now() + timedelta(days=2))
    release_expired_gpu_assignments.enqueue()
    with django_assert_num_queries(SCRAPE_QUERIES):
        first = samples(scrape())
    assert first[("itam_servers", (("datacenter", "DC0"), ("status", "online")))] == 1
    assert first[("itam_containers", (("status", "running"),))] == 2
    assert first[("itam_gpus", (("status", "in_use"),))] == 2
    assert first[("itam_gpu_assignments_open", ())] == 2
    assert first[("itam_gpu_assignments_expiring_24h", ())] == 1
    assert (first[("itam_gpu_reservations_pending", ())], first[("itam_gpu_reservations_active", ())]) == (1, 0)
    assert first[("itam_jobs_queued", (("queue", "default"),))] == 1
    assert first[("itam_jobs_failed", (("queue", "default"),))] == 0

    _fleet(5, first=2)
    with django_assert_num_queries(SCRAPE_QUERIES):
        more = samples(scrape())
    assert sum(v for (name, _), v in more.items() if name == "itam_servers") == 9
