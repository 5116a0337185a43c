"""Contract walk-through (API.md §1, §2, §10): the cross-cutting rules every route follows.

Each test sweeps the routes of §2's permission matrix rather than one resource, so a route
added or changed without the shared plumbing shows up here.
"""
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditLog
from inventory.models import Server
from tests.factories import (
    ContainerFactory,
    DatacenterFactory,
    EnvironmentFactory,
    GPUFactory,
    PortMappingFactory,
    ServerFactory,
    ServiceFactory,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def ids(normal_user):
    """One object of each kind, owned by the `user` caller where ownership applies."""
    server = ServerFactory(name="web-01", internal_ip="10.0.0.7")
    container = ContainerFactory(server=server, owner=normal_user)
    PortMappingFactory(container=container, container_port=22, internal_port=20022)
    return {
        "dc": server.datacenter_id, "env": server.environment_id, "server": server.pk,
        "container": container.pk, "service": ServiceFactory(container=container, owner=normal_user).pk,
        "gpu": GPUFactory(server=server, index=0).pk, "user": normal_user.pk,
    }


# (method, path, body) per row of §2, grouped by who may call them.
ANY_USER = [
    ("post", "/auth/logout", {}), ("get", "/auth/me", None),
    ("get", "/user/preferences", None), ("put", "/user/preferences", {"view_mode": "list"}),
    ("get", "/users/options", None), ("get", "/users", None),
    ("get", "/datacenters", None), ("get", "/datacenters/overview", None), ("get", "/datacenters/{dc}", None),
    ("get", "/environments", None), ("get", "/environments/{env}", None),
    ("get", "/servers", None), ("get", "/servers/tree", None), ("get", "/servers/{server}", None),
    ("get", "/containers", None), ("get", "/containers/{container}", None),
    ("post", "/containers", {"name": "mine", "server_id": "{server}"}),
    ("put", "/containers/{container}", {"purpose": "x"}),
    ("get", "/services", None), ("get", "/services/{service}", None),
    ("post", "/services", {"name": "mine", "container_id": "{container}"}),
    ("put", "/services/{service}", {"version": "2"}),
    ("get", "/gpus", None), ("get", "/gpus/{gpu}", None), ("get", "/gpus/{gpu}/assignments", None),
    ("get", "/gpus/utilization", None),
    ("get", "/search", None), ("get", "/search/quick", None), ("get", "/import-export/template", None),
    ("delete", "/services/{service}", None), ("delete", "/containers/{container}", None),  # as the owner
]
ADMIN_ONLY = [
    ("get", "/users/{user}", None), ("post", "/users", {}), ("put", "/users/{user}", {}), ("delete", "/users/{user}", None),
    ("post", "/datacenters", {}), ("put", "/datacenters/{dc}", {}), ("delete", "/datacenters/{dc}", None),
    ("post", "/environments", {}), ("put", "/environments/{env}", {}), ("delete", "/environments/{env}", None),
    ("post", "/servers", {}), ("put", "/servers/{server}", {}), ("delete", "/servers/{server}", None),
    ("post", "/servers/batch-update", {}), ("post", "/servers/batch-delete", {}),
    ("post", "/containers/update-sort-order", {}), ("post", "/services/update-sort-order", {}),
    ("post", "/gpus", {}), ("put", "/gpus/{gpu}", {}), ("delete", "/gpus/{gpu}", None),
    ("post", "/gpus/{gpu}/assign", {}), ("post", "/gpus/{gpu}/release", {}), ("post", "/gpus/update-sort-order", {}),
    ("post", "/import-export/import", {}), ("get", "/import-export/export", None),
    ("get", "/audit-logs", None), ("get", "/audit-logs/1", None), ("get", "/audit-logs/export", None),
]


def call(api, method, path, body, ids):
    path = path.format(**ids)
    if body is not None:
        body = {k: int(v.format(**ids)) if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}
    return api.get(path) if method == "get" else getattr(api, method)(path, *([body] if method != "delete" else []))


def assert_error(response, status, message=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == status and body["data"] is None and isinstance(body["message"], str) and body["message"]
    if message is not None:
        assert body["message"] == message
    return body


@pytest.mark.parametrize("method, path, body", ANY_USER + ADMIN_ONLY)
def test_anonymous_callers_get_401(anon_api, ids, method, path, body):
    assert_error(call(anon_api, method, path, body, ids), 401, "Authentication required.")


@pytest.mark.parametrize("method, path, body", ANY_USER)
def test_users_may_call_their_routes(user_api, ids, method, path, body):
    response = call(user_api, method, path, body, ids)
    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize("method, path, body", ADMIN_ONLY)
def test_users_get_403_on_admin_routes(user_api, ids, method, path, body):
    assert_error(call(user_api, method, path, body, ids), 403)


def test_ownership_is_checked_after_lookup(api_as, other_user, ids):
    api = api_as(other_user)
    assert_error(api.put(f"/containers/{ids['container']}", {"purpose": "x"}), 403)
    assert_error(api.delete(f"/services/{ids['service']}"), 403)
    assert_error(api.put("/containers/99999999", {"purpose": "x"}), 404)


@pytest.mark.parametrize("method, path", [
    ("get", "/health"), ("get", "/schema"), ("get", "/docs"),
])
def test_public_routes(anon_api, method, path):
    assert anon_api.get(path).status_code == 200


# §1.4 check order: 401 -> 403 -> 405.
@pytest.mark.parametrize("method, path", [
    ("delete", "/servers"), ("post", "/servers/tree"), ("delete", "/audit-logs"), ("put", "/audit-logs/1"),
    ("get", "/servers/batch-update"), ("post", "/import-export/template"), ("delete", "/gpus/1/assign"),
    ("post", "/users/1"), ("put", "/import-export/export"), ("get", "/import-export/import"),
    ("get", "/containers/update-sort-order"), ("delete", "/gpus/1/release"),
])
def test_wrong_method_check_order(anon_api, user_api, admin_api, method, path):
    assert_error(getattr(anon_api, method)(path), 401)
    admin_only = path.startswith(("/audit-logs", "/servers/batch", "/gpus/1/", "/users/1", "/import-export/export",
                                  "/import-export/import", "/containers/update-sort-order"))
    if admin_only:
        assert_error(getattr(user_api, method)(path), 403)
    response = getattr(admin_api, method)(path)
    assert_error(response, 405)
    assert method.upper() not in response["Allow"].split(", ")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_audit_logs_are_append_only(admin_api, method):
    entry = AuditLog.objects.create(action="create", resource_type="server", resource_id=1, username="x")
    response = getattr(admin_api, method)(f"/audit-logs/{entry.pk}")
    assert_error(response, 405)
    assert response["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("path", [
    "/auth/me", "/user/preferences", "/users", "/users/options", "/datacenters", "/datacenters/overview",
    "/environments", "/servers", "/servers/tree", "/containers", "/services", "/gpus", "/gpus/utilization",
    "/search", "/search/quick", "/audit-logs", "/health", "/import-export/template", "/import-export/export",
    "/audit-logs/export", "/schema", "/docs",
])
def test_every_route_answers_with_and_without_trailing_slash(admin_api, path):
    for url in ("/api" + path, "/api" + path + "/"):
        response = admin_api.client.get(url)
        assert response.status_code == 200, (url, response.status_code)


@pytest.mark.parametrize("path", [
    "/users/abc", "/datacenters/abc", "/environments/x1", "/servers/1.5", "/containers/abc", "/services/abc",
    "/gpus/abc", "/gpus/abc/assign", "/gpus/abc/release", "/gpus/abc/assignments", "/audit-logs/abc",
    "/servers/99999999", "/gpus/99999999/assignments",
])
def test_non_numeric_and_unknown_ids_are_404(admin_api, path):
    assert_error(admin_api.get(path), 404)


def test_writes_answer_envelope_messages_and_detail_objects(admin_api, normal_user):
    """Every CRUD resource: create 201, PUT 200 as its detail, DELETE 200 with data null."""
    dc = DatacenterFactory()
    env = EnvironmentFactory(code="prod")
    steps = [
        ("/users", "User", {"username": "carol", "password": "Long-pass-9876", "display_name": "Carol"}),
        ("/datacenters", "Datacenter", {"name": "DC-West"}),
        ("/environments", "Environment", {"name": "QA", "code": "qa"}),
        ("/servers", "Server", {"name": "db-01", "datacenter_id": dc.pk, "environment_id": env.pk, "internal_ip": "10.1.1.1"}),
    ]
    created = {}
    for path, noun, body in steps:
        response = admin_api.post(path, body)
        assert response.status_code == 201
        reply = response.json()
        assert reply["message"] == f"{noun} created." and reply["code"] == 0
        created[noun] = reply["data"]
        assert admin_api.get(f"{path}/{reply['data']['id']}").json()["data"] == reply["data"]
    server_id = created["Server"]["id"]
    for path, noun, body in [
        ("/containers", "Container", {"name": "c1", "server_id": server_id}),
        ("/gpus", "GPU", {"server_id": server_id, "model": "L4", "memory_gb": 24}),
    ]:
        reply = admin_api.post(path, body).json()
        assert reply["message"] == f"{noun} created."
        created[noun] = reply["data"]
    reply = admin_api.post("/services", {"name": "s1", "container_id": created["Container"]["id"]}).json()
    assert reply["message"] == "Service created."
    created["Service"] = reply["data"]
    paths = {"User": "/users", "Datacenter": "/datacenters", "Environment": "/environments", "Server": "/servers",
             "Container": "/containers", "GPU": "/gpus", "Service": "/services"}
    for noun in ["Service", "GPU", "Container", "Server", "Environment", "Datacenter", "User"]:
        url = f"{paths[noun]}/{created[noun]['id']}"
        edit = {"User": {"display_name": "C"}, "Environment": {"color": "#000000"}}.get(noun, {"description": "edited"})
        put = admin_api.put(url, edit)
        assert put.json()["data"][next(iter(edit))] == next(iter(edit.values()))
        assert put.status_code == 200 and put.json()["message"] == f"{noun} updated."
        assert put.json()["data"] == admin_api.get(url).json()["data"]
        deleted = admin_api.delete(url)
        assert deleted.status_code == 200
        assert deleted.json() == {"code": 0, "message": f"{noun} deleted.", "data": None}


def test_whole_objects_sent_back_change_nothing(admin_api, normal_user, ids):
    """§1.2: edit forms send back the whole object they received; no change, no audit entry."""
    before = AuditLog.objects.count()
    for path in ["/servers/{server}", "/containers/{container}", "/services/{service}", "/gpus/{gpu}",
                 "/datacenters/{dc}", "/environments/{env}", "/users/{user}"]:
        url = path.format(**ids)
        current = admin_api.get(url).json()["data"]
        response = admin_api.put(url, current)
        assert response.status_code == 200, (url, response.json())
        assert response.json()["data"] == current, url
    tree_node = admin_api.get("/servers/tree", {"expand_level": 3}).json()["data"][0]
    response = admin_api.put(f"/servers/{ids['server']}", tree_node)
    assert response.status_code == 200 and "children" not in response.json()["data"]
    assert AuditLog.objects.count() == before


def test_blank_strings_mean_null_and_numeric_strings_are_numbers(admin_api, ids):
    created = admin_api.post("/servers", {
        "name": "  db-02 ", "datacenter_id": str(ids["dc"]), "environment_id": str(ids["env"]),
        "internal_ip": "2001:DB8:0:0::1", "external_ip": "", "cpu_cores": "16", "memory_gb": " ",
        "disk_gb": "", "cpu_usage": "12.5", "ssh_user": "", "os_type": "   ",
    })
    server = created.json()["data"]
    assert created.status_code == 201
    assert (server["name"], server["internal_ip"], server["external_ip"], server["cpu_cores"], server["memory_gb"],
            server["disk_gb"], server["cpu_usage"], server["ssh_user"], server["os_type"]) == (
        "db-02", "2001:db8::1", None, 16, None, None, 12.5, "root", None)
    container = admin_api.post("/containers", {
        "name": "c2", "server_id": ids["server"], "assigned_user_id": "", "cpu_limit": "", "memory_limit_mb": "",
        "port_mappings": [{"container_port": "22", "internal_ip": "", "internal_port": "2222",
                           "external_ip": "", "external_port": "", "protocol": "UDP"}],
    }).json()["data"]
    (mapping,) = container["port_mappings"]
    assert (container["assigned_user_id"], container["cpu_limit"], mapping["internal_ip"], mapping["external_port"],
            mapping["protocol"], mapping["mapping_chain"]) == (None, None, None, None, "udp", "22 \u2192 10.0.0.7:2222")
    service = admin_api.post("/services", {"name": "s2", "container_id": ids["container"], "port": "", "service_type": ""})
    assert service.status_code == 201 and service.json()["data"]["port"] is None


def test_blank_required_and_dotted_nested_errors(admin_api, ids):
    response = admin_api.post("/servers", {"name": " ", "datacenter_id": 99999999, "environment_id": ids["env"],
                                           "internal_ip": "10.0.0.256"})
    body = response.json()
    assert response.status_code == 400 and body["message"] == "Validation failed." and body["data"] is None
    assert set(body["errors"]) == {"name", "datacenter_id", "internal_ip"}
    response = admin_api.put(f"/containers/{ids['container']}", {"port_mappings": [
        {"container_port": 22, "internal_port": 1}, {"container_port": 70000, "internal_port": 1}]})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["port_mappings.1.container_port"]


def test_duplicates_are_422_with_field_errors(admin_api, ids):
    name = Server.objects.get(pk=ids["server"]).name
    response = admin_api.post("/servers", {"name": name.upper(), "datacenter_id": ids["dc"], "environment_id": ids["env"],
                                           "internal_ip": "10.9.9.9"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == 422 and body["data"] is None and list(body["errors"]) == ["name"]


def test_datetimes_accept_z_and_naive_and_answer_utc_offsets(admin_api, ids, other_user):
    response = admin_api.post(f"/gpus/{ids['gpu']}/assign", {"user_id": other_user.pk, "expires_at": "2999-01-02T03:04:05Z"})
    assert response.status_code == 200 and response.json()["message"] == f"GPU assigned to {other_user.display_name}."
    assert response.json()["data"]["expires_at"] == "2999-01-02T03:04:05+00:00"
    release = admin_api.post(f"/gpus/{ids['gpu']}/release")
    assert release.status_code == 200 and release.json()["message"] == "GPU released."
    again = admin_api.post(f"/gpus/{ids['gpu']}/assign", {"user_id": other_user.pk, "expires_at": "2999-01-02T03:04:05.678"})
    assert again.json()["data"]["expires_at"] == "2999-01-02T03:04:05+00:00"


def test_pagination_block_and_page_past_the_end(admin_api, ids):
    body = admin_api.get("/audit-logs", {"page": 7, "page_size": "abc"}).json()
    assert body["data"] == [] and body["pagination"]["page"] == 7 and body["pagination"]["page_size"] == 20
    body = admin_api.get("/servers", {"page": "0", "page_size": 1000}).json()
    assert body["pagination"] == {"page": 1, "page_size": 100, "total": 1, "pages": 1}


def test_empty_filter_values_are_ignored_and_bad_ones_are_400(admin_api, ids):
    body = admin_api.get("/audit-logs", {"action": "", "resource_type": "", "keyword": "", "start_date": "", "end_date": ""})
    assert body.status_code == 200
    for path, params, key in [
        ("/audit-logs", {"action": "fly"}, "action"), ("/audit-logs", {"start_date": "2025-13-01"}, "start_date"),
        ("/servers", {"datacenter_id": "x"}, "datacenter_id"), ("/servers", {"ordering": "password"}, "ordering"),
        ("/gpus", {"is_available": "maybe"}, "is_available"), ("/servers/tree", {"expand_level": 4}, "expand_level"),
    ]:
        response = admin_api.get(path, params)
        assert response.status_code == 400 and list(response.json()["errors"]) == [key], (path, response.json())


@pytest.mark.parametrize("path, params, filename", [
    ("/import-export/template", None, r'import_template\.xlsx'),
    ("/import-export/export", {"type": "all", "ids": "1,2"}, r"export_all_\d{8}_\d{6}\.xlsx"),
    ("/audit-logs/export", {"action": ""}, r"audit_logs_\d{8}_\d{6}\.xlsx"),
])
def test_file_endpoints(admin_api, ids, path, params, filename):
    response = admin_api.get(path, params)
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert re.fullmatch(rf'attachment; filename="{filename}"', response["Content-Disposition"])
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:2] == b"PK"


@pytest.mark.parametrize("path, params", [
    ("/import-export/export", {"type": "everything"}), ("/import-export/export", {"type": "all", "ids": "1,x"}),
    ("/audit-logs/export", {"end_date": "yesterday"}),
])
def test_file_endpoint_errors_are_json(admin_api, path, params):
    response = admin_api.get(path, params)
    assert response.status_code == 400 and response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["code"] == 400


def test_import_report_keys_and_bad_upload(admin_api):
    """The template re-imported into an empty installation: its example server's environment is
    unknown, so the report is a 400 naming every failing row (not a 500), with every sheet key."""
    response = admin_api.client.post("/api/import-export/import", {"file": SimpleUploadedFile("x.xls", b"nope")})
    assert response.status_code == 400 and response.json()["code"] == 400 and "file" in response.json()["errors"]
    response = admin_api.client.post("/api/import-export/import", {
        "file": SimpleUploadedFile("t.xlsx", admin_api.get("/import-export/template").content), "dry_run": "true"})
    body = response.json()
    assert response.status_code == 400 and body["message"].startswith("Import failed: ")
    assert body["data"]["servers"]["errors"][0]["column"] == "Environment"
    sheets = ("datacenters", "servers", "containers", "services", "gpus", "reservations")  # API-NOTES.md §7: a sixth
    assert set(body["data"]) == {"dry_run", *sheets}
    assert all(set(body["data"][k]) == {"created", "updated", "skipped", "errors"} for k in sheets)


def test_request_id_is_echoed_or_generated(anon_api, admin_api):
    mine = admin_api.get("/servers", HTTP_X_REQUEST_ID="client-req.1_a")
    assert mine["X-Request-ID"] == "client-req.1_a"
    for response in (admin_api.get("/servers", HTTP_X_REQUEST_ID="bad id!"), anon_api.get("/servers"),
                     admin_api.get("/nowhere"), anon_api.get("/health"),
                     admin_api.get("/servers", HTTP_X_REQUEST_ID="x" * 65)):
        uuid.UUID(response["X-Request-ID"])
    created = admin_api.post("/datacenters", {"name": "DC-R"}, HTTP_X_REQUEST_ID="trace-42")
    assert AuditLog.objects.get(resource_id=created.json()["data"]["id"], resource_type="datacenter").request_id == "trace-42"


def test_login_logout_and_password_messages(anon_api, api_as, normal_user):
    bad = anon_api.post("/auth/login", {"username": "alice", "password": "wrong"})
    assert_error(bad, 401, "Invalid username or password.")
    ok = anon_api.post("/auth/login", {"username": " alice ", "password": "Secret-pass-123"}).json()
    assert ok["message"] == "Login successful." and set(ok["data"]) == {"access_token", "refresh_token", "user"}
    api = api_as(normal_user)
    changed = api.post("/auth/change-password", {"old_password": "Secret-pass-123", "new_password": "Another-pass-456"})
    assert changed.json()["message"] == "Password changed." and set(changed.json()["data"]) == {"access_token", "refresh_token"}
    assert api.get("/auth/me").status_code == 200  # the caller's own token stays (API.md §3.1)
    assert_error(anon_api.post("/auth/login", {"username": "alice", "password": "Secret-pass-123"}), 401)
    api.client.credentials(HTTP_AUTHORIZATION=f"Bearer {changed.json()['data']['access_token']}")
    assert api.post("/auth/logout").json() == {"code": 0, "message": "Logged out.", "data": None}
    assert_error(api.get("/auth/me"), 401)


def test_login_throttle_is_429_with_retry_after(anon_api, normal_user):
    for _ in range(10):
        anon_api.post("/auth/login", {"username": "alice", "password": "wrong"})
    response = anon_api.post("/auth/login", {"username": "alice", "password": "Secret-pass-123"})
    assert_error(response, 429)
    assert int(response["Retry-After"]) >= 1
