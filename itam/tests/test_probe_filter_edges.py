"""Issue 19 §4: every date and number parameter of every list (and of the audit-log and
inventory exports) answers the calendar's and the integers' edges with a 2xx or a 400
envelope, never a server error."""
import pytest

from audit.models import AuditLog
from tests.factories import GPUFactory

# Each list and file route with its date and number (and free-text) parameters.
ROUTES = {
    "/users": ["ordering", "keyword"],
    "/datacenters": ["include_stats"],
    "/servers": ["datacenter_id", "environment_id", "page", "page_size", "keyword"],
    "/servers/tree": ["expand_level", "datacenter_id", "environment_id"],
    "/containers": ["server_id", "owner_id", "assigned_user_id"],
    "/services": ["container_id", "owner_id"],
    "/gpus": ["server_id", "datacenter_id", "assigned_to", "is_available"],
    "/gpus/1/assignments": ["page", "page_size"],
    "/gpus/utilization": ["start_date", "end_date", "datacenter_id"],
    "/search": ["keyword", "q", "limit"],
    "/search/quick": ["keyword", "limit"],
    "/audit-logs": ["user_id", "resource_id", "start_date", "end_date", "page", "page_size"],
    "/audit-logs/export": ["user_id", "resource_id", "start_date", "end_date"],
    "/import-export/export": ["ids", "datacenter_id", "server_id"],
}
EDGES = [
    "9999-12-31", "0001-01-01", "10000-01-01", "0000-01-01", "9223372036854775807", "-9223372036854775808",
    "99999999999999999999999", "-99999999999999999999999", "1e308", "inf", "nan", "-1",
    "1" * 5000,  # beyond the 4,300 digits int() converts
]


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_edges_of_every_date_and_number_parameter_are_answered(admin_api, path):
    GPUFactory(pk=1, index=0)
    for name in ROUTES[path]:
        for value in EDGES:
            response = admin_api.get(path, {name: value})
            assert response.status_code in (200, 400), (name, value, response.status_code)
            if response.status_code == 400:
                assert response.json()["code"] == 400 and name in response.json()["errors"], (name, value)


@pytest.mark.parametrize("path", ["/audit-logs", "/audit-logs/export"])
def test_audit_day_filters_reach_the_calendars_ends(admin_api, path):
    AuditLog.objects.all().delete()
    GPUFactory(index=0)  # one create entry
    assert AuditLog.objects.count() >= 1
    response = admin_api.get(path, {"start_date": "0001-01-01", "end_date": "9999-12-31"})
    assert response.status_code == 200
    if path == "/audit-logs":
        assert response.json()["pagination"]["total"] == AuditLog.objects.count()
    assert admin_api.get("/audit-logs", {"start_date": "9999-12-31"}).json()["pagination"]["total"] == 0


def test_a_long_digit_keyword_is_a_keyword(admin_api):
    body = admin_api.get("/search", {"keyword": "1" * 5000}).json()
    assert body["data"]["search_type"] == "keyword"
    assert admin_api.get("/search", {"keyword": "000443"}).json()["data"]["search_type"] == "port"
