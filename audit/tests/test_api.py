"""GET /audit-logs, /audit-logs/{id}, /audit-logs/export (API.md §6.2)."""
import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditLog
from tests.factories import DatacenterFactory

pytestmark = pytest.mark.django_db

UTC = datetime.timezone.utc


def make_entry(**fields):
    """An entry with a fixed creation time (``created_at`` is auto_now_add, so set it after)."""
    created_at = fields.pop("created_at", None)
    values = {"username": "admin", "action": "create", "resource_type": "server", "resource_id": 1,
              "resource_name": "web-01", **fields}
    entry = AuditLog.objects.create(**values)
    if created_at is not None:
        AuditLog.objects.filter(pk=entry.pk).update(created_at=created_at)
        entry.refresh_from_db()
    return entry


@pytest.fixture
def clean_log(admin_user, normal_user):
    """The fixture users are created through the audited path; start from an empty log."""
    AuditLog.objects.all().delete()


def test_list_items_have_exactly_the_list_fields(admin_api, admin_user, clean_log):
    entry = make_entry(user=admin_user, ip_address="203.0.113.5", request_id="abc", user_agent="ua",
                       changes={"name": {"old": None, "new": "web-01"}},
                       created_at=datetime.datetime(2025, 3, 1, 8, 15, 42, 123456, tzinfo=UTC))
    response = admin_api.get("/audit-logs")
    assert response.status_code == 200
    assert response.json() == {
        "code": 0, "message": "success",
        "data": [{"id": entry.pk, "user_id": admin_user.pk, "username": "admin", "action": "create",
                  "resource_type": "server", "resource_id": 1, "resource_name": "web-01",
                  "ip_address": "203.0.113.5", "created_at": "2025-03-01T08:15:42+00:00", "request_id": "abc"}],
        "pagination": {"page": 1, "page_size": 20, "total": 1, "pages": 1},
    }


def test_detail_adds_changes_snapshot_user_agent(admin_api, clean_log):
    entry = make_entry(action="delete", user_agent="Mozilla/5.0", snapshot={"id": 1, "name": "web-01"},
                       created_at=datetime.datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    response = admin_api.get(f"/audit-logs/{entry.pk}/")
    assert response.status_code == 200
    assert response.json()["data"] == {
        "id": entry.pk, "user_id": None, "username": "admin", "action": "delete", "resource_type": "server",
        "resource_id": 1, "resource_name": "web-01", "ip_address": None, "created_at": "2025-03-01T08:00:00+00:00",
        "request_id": None, "changes": {}, "snapshot": {"id": 1, "name": "web-01"}, "user_agent": "Mozilla/5.0",
    }


def test_unknown_and_non_numeric_ids_are_404(admin_api, clean_log):
    for path in ("/audit-logs/999999", "/audit-logs/abc"):
        response = admin_api.get(path)
        assert response.status_code == 404
        assert response.json() == {"code": 404, "message": "Not found.", "data": None}


def test_default_order_is_newest_first_with_id_tiebreak(admin_api, clean_log):
    t = datetime.datetime(2025, 1, 1, tzinfo=UTC)
    a = make_entry(created_at=t)
    b = make_entry(created_at=t)
    c = make_entry(created_at=t + datetime.timedelta(days=1))
    assert [e["id"] for e in admin_api.get("/audit-logs").json()["data"]] == [c.pk, b.pk, a.pk]


@pytest.mark.parametrize("ordering,expected", [
    ("username", ["ann", "bob", "cid"]),
    ("-username", ["cid", "bob", "ann"]),
    ("action,username", ["bob", "ann", "cid"]),
])
def test_ordering(admin_api, clean_log, ordering, expected):
    make_entry(username="bob", action="create")
    make_entry(username="ann", action="update")
    make_entry(username="cid", action="update")
    response = admin_api.get("/audit-logs", {"ordering": ordering})
    assert [e["username"] for e in response.json()["data"]] == expected


def test_filters(admin_api, admin_user, clean_log):
    mine = make_entry(user=admin_user, action="update", resource_type="gpu", resource_id=7,
                      resource_name="NVIDIA A100 on gpu-01", request_id="r-1",
                      created_at=datetime.datetime(2025, 3, 2, 23, 59, 59, tzinfo=UTC))
    make_entry(username="bob", action="delete", resource_type="server", resource_id=8, request_id="r-2",
               created_at=datetime.datetime(2025, 3, 3, 0, 0, 0, tzinfo=UTC))
    make_entry(username="cid", resource_type="gpu", resource_id=9,
               created_at=datetime.datetime(2025, 3, 1, 23, 59, 59, tzinfo=UTC))

    def ids(**params):
        response = admin_api.get("/audit-logs", params)
        assert response.status_code == 200, response.json()
        return [e["id"] for e in response.json()["data"]]

    assert ids(user_id=admin_user.pk) == [mine.pk]
    assert ids(action="update") == [mine.pk]
    assert ids(resource_type="gpu", resource_id="7") == [mine.pk]
    assert ids(request_id="r-1") == [mine.pk]
    assert ids(start_date="2025-03-02", end_date="2025-03-02") == [mine.pk]  # both days inclusive, UTC
    assert ids(keyword="a100") == [mine.pk]  # resource_name, case-insensitive
    assert ids(keyword="BO") == [ids(request_id="r-2")[0]]  # username
    # empty values are ignored (clients send action=&resource_type=&keyword=)
    assert len(ids(action="", resource_type="", keyword="", start_date="", end_date="")) == 3


@pytest.mark.parametrize("params,errors", [
    ({"start_date": "2025-13-01"}, {"start_date": ["Enter a valid date."]}),
    ({"end_date": "03/01/2025"}, {"end_date": ["Enter a valid date."]}),
    ({"user_id": "x"}, {"user_id": ["Enter a whole number."]}),
    ({"resource_id": "1.5"}, {"resource_id": ["Enter a whole number."]}),
    ({"action": "explode"}, {"action": ["Select a valid choice. explode is not one of the available choices."]}),
    ({"resource_type": "router"},
     {"resource_type": ["Select a valid choice. router is not one of the available choices."]}),
    ({"ordering": "created_at,-user_agent"}, {"ordering": [
        "Unknown ordering field: '-user_agent'. Allowed: id, created_at, action, resource_type, username "
        "(prefix '-' for descending)."]}),
])
def test_bad_parameters_are_400_keyed_by_parameter(admin_api, clean_log, params, errors):
    response = admin_api.get("/audit-logs", params)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Validation failed.", "data": None, "errors": errors}


def test_pagination_past_the_end(admin_api, clean_log):
    for _ in range(3):
        make_entry()
    body = admin_api.get("/audit-logs", {"page": 5, "page_size": 2}).json()
    assert body["data"] == [] and body["pagination"] == {"page": 5, "page_size": 2, "total": 3, "pages": 2}


@pytest.mark.parametrize("path", ["/audit-logs", "/audit-logs/1", "/audit-logs/export"])
def test_admin_only(anon_api, user_api, path):
    assert anon_api.get(path).status_code == 401
    response = user_api.get(path)
    assert response.status_code == 403 and response.json()["code"] == 403


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only(admin_api, user_api, anon_api, clean_log, method):
    entry = make_entry()
    for path in ("/audit-logs", f"/audit-logs/{entry.pk}"):
        assert getattr(anon_api, method)(path).status_code == 401
        assert getattr(user_api, method)(path).status_code == 403
        response = getattr(admin_api, method)(path)
        assert response.status_code == 405
        assert response.json()["code"] == 405 and "Allow" in response
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def audit_queries(path, api, params=None):
    """(the response, the number of queries, the SQL of those that read the audit log)."""
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, params)
    return response, len(ctx), [q["sql"] for q in ctx.captured_queries if "audit_auditlog" in q["sql"]]


def test_list_runs_a_constant_number_of_queries(admin_api, clean_log):
    make_entry(resource_id=0)
    _, total_few, few = audit_queries("/audit-logs", admin_api)
    for i in range(1, 30):
        make_entry(resource_id=i)
    response, total_many, many = audit_queries("/audit-logs", admin_api, {"page_size": 100})
    assert len(response.json()["data"]) == 30
    assert total_few == total_many
    assert len(few) == len(many) == 2  # count, page
    assert "changes" not in many[1] and "snapshot" not in many[1]  # the list never loads the bulky columns


def read_export(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Audit Logs"]
    return [list(row) for row in book["Audit Logs"].iter_rows(values_only=True)]


def test_export_writes_the_columns_of_the_contract(admin_api, clean_log):
    make_entry(username="bob", ip_address="2001:db8::5", action="update", resource_type="gpu", resource_id=3,
               resource_name="=cmd()", user_agent="curl/8", changes={"status": {"old": "free", "new": "in_use"}},
               created_at=datetime.datetime(2025, 3, 1, 8, 15, 42, tzinfo=UTC))
    make_entry(created_at=datetime.datetime(2025, 2, 1, tzinfo=UTC))
    response = admin_api.get("/audit-logs/export", {"action": "update"},
                             HTTP_ACCEPT="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    now = timezone.now()
    filename = response["Content-Disposition"].removeprefix('attachment; filename="').removesuffix('"')
    stamp = datetime.datetime.strptime(filename, "audit_logs_%Y%m%d_%H%M%S.xlsx").replace(tzinfo=UTC)
    assert abs((now - stamp).total_seconds()) < 60
    assert read_export(response) == [
        ["Time (UTC)", "User", "IP Address", "Action", "Resource Type", "Resource ID", "Resource Name",
         "User Agent", "Changes"],
        [datetime.datetime(2025, 3, 1, 8, 15, 42), "bob", "2001:db8::5", "update", "gpu", 3, "=cmd()", "curl/8",
         '{"status": {"old": "free", "new": "in_use"}}'],
    ]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book["Audit Logs"]["G2"].data_type == "s"  # a name that looks like a formula stays text


def test_export_keeps_the_newest_10000_in_the_requested_order(admin_api, clean_log, monkeypatch):
    monkeypatch.setattr("audit.exporting.MAX_ROWS", 2)
    t = datetime.datetime(2025, 1, 1, tzinfo=UTC)
    make_entry(username="old", created_at=t)
    make_entry(username="zed", created_at=t + datetime.timedelta(hours=1))
    make_entry(username="amy", created_at=t + datetime.timedelta(hours=2))
    rows = read_export(admin_api.get("/audit-logs/export", {"ordering": "username"}))
    assert [row[1] for row in rows[1:]] == ["amy", "zed"]


def test_export_reads_the_log_in_one_query(admin_api, clean_log):
    make_entry()
    _, total_few, few = audit_queries("/audit-logs/export", admin_api)
    for i in range(50):
        make_entry(resource_id=i)
    response, total_many, many = audit_queries("/audit-logs/export", admin_api)
    assert len(read_export(response)) == 52
    assert total_few == total_many
    assert len(few) == len(many) == 1


def test_export_errors_are_json(admin_api, clean_log):
    response = admin_api.get("/audit-logs/export", {"start_date": "yesterday"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"start_date": ["Enter a valid date."]}


def test_trailing_slash_optional(admin_api, clean_log):
    assert admin_api.get("/audit-logs/").status_code == 200
    assert admin_api.get("/audit-logs/export/").status_code == 200
