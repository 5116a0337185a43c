"""Issue 19 §9: bodies without a length, non-ASCII digits, port mappings per container,
cells too long to export, ambiguous workbooks: each a clear 4xx, nothing changed."""
import io

import pytest
import requests
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.models import UserPreference
from inventory.models import MAX_PORT_MAPPINGS, Container, PortMapping, Server
from inventory.workbook import write_workbook
from tests.factories import ContainerFactory, DatacenterFactory, EnvironmentFactory, PortMappingFactory, ServerFactory

from .workbook_helpers import HEADERS, rows_for, upload, xlsx

pytestmark = pytest.mark.django_db


def assert_400(response, *keys):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == 400 and body["data"] is None
    assert set(body.get("errors", {})) >= set(keys), body
    return body


# --- a chunked body (no Content-Length) -------------------------------------------------

def chunked(api, method, path, body, terminated=True):
    """A request whose body came chunked: no Content-Length; the server (gunicorn) decoded
    the chunks and marks the input as ending at the body's end."""
    extra = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body)}
    if terminated:
        extra["wsgi.input_terminated"] = True
    return api.client.generic(method, path, b"", content_type="application/json", **extra)


def test_a_chunked_body_is_read(user_api, normal_user):
    """Django alone reads a chunked body as empty: the PUT answered a no-op 200."""
    response = chunked(user_api, "PUT", "/api/user/preferences", b'{"view_mode": "list"}')
    assert response.status_code == 200 and response.json()["data"]["view_mode"] == "list"
    assert UserPreference.objects.get(user=normal_user).view_mode == "list"
    assert chunked(user_api, "POST", "/api/auth/logout", b"").status_code == 200  # empty and chunked


@pytest.mark.django_db(transaction=True)
def test_gunicorn_hands_a_chunked_body_over(normal_user):
    """The real stack: requests sends a generator body chunked, gunicorn decodes it."""
    from conftest import token_for
    from tests.live import LiveServer, current_database_url

    with LiveServer(current_database_url(), workers=1) as live:
        response = requests.put(live.url("/api/user/preferences"), data=iter([b'{"view_mode": ', b'"list"}']),
                                headers={"Authorization": f"Bearer {token_for(normal_user)}",
                                         "Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 200, response.text
    assert UserPreference.objects.get(user=normal_user).view_mode == "list"


def test_a_chunked_body_over_the_limit_is_a_413(user_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = chunked(user_api, "PUT", "/api/user/preferences", b'{"view_mode": "list", "x": "' + b"a" * 200 + b'"}')
    assert response.status_code == 413 and response.json()["code"] == 413
    assert not UserPreference.objects.filter(view_mode="list").exists()


@pytest.mark.parametrize("path", ["/api/user/preferences", "/api/servers", "/api/import-export/import"])
def test_a_chunked_body_a_server_cannot_end_is_a_411(user_api, path):
    """Without wsgi.input_terminated (the development server) the body cannot be read to its end."""
    before = list(UserPreference.objects.values())
    response = chunked(user_api, "PUT" if "preferences" in path else "POST", path, b'{"view_mode": "list"}',
                       terminated=False)
    assert response.status_code == 411
    assert response.json()["code"] == 411 and "Content-Length" in response.json()["message"]
    assert list(UserPreference.objects.values()) == before


def test_a_bodyless_request_is_not_affected(user_api):
    assert user_api.get("/user/preferences").status_code == 200


# --- non-ASCII digits ---------------------------------------------------------------------

ARABIC_22, FULLWIDTH_22 = "٢٢", "２２"
NON_ASCII = {ARABIC_22: str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"), FULLWIDTH_22: str.maketrans("0123456789", "０１２３４５６７８９")}


@pytest.mark.parametrize("digits", [ARABIC_22, FULLWIDTH_22])
def test_non_ascii_digits_are_not_integers_in_bodies(admin_api, digits):
    dc, env = DatacenterFactory(), EnvironmentFactory()
    body = {"name": "web-01", "datacenter_id": dc.id, "environment_id": env.id, "internal_ip": "10.0.0.1"}
    assert_400(admin_api.post("/servers", {**body, "ssh_port": digits}), "ssh_port")
    assert_400(admin_api.post("/servers", {**body, "cpu_usage": digits}), "cpu_usage")
    # An id whose digits name an existing datacenter: read as ASCII it would be accepted.
    assert_400(admin_api.post("/servers", {**body, "datacenter_id": str(dc.id).translate(NON_ASCII[digits])}),
               "datacenter_id")
    assert_400(admin_api.put("/user/preferences", {"panel_width": "٣٠٠"}), "panel_width")
    assert_400(admin_api.post("/servers/batch-update", {"ids": [digits], "updates": {"status": "offline"}}), "ids.0")
    assert not Server.objects.exists()
    assert admin_api.post("/servers", {**body, "ssh_port": "22"}).status_code == 201  # ASCII text still is


@pytest.mark.parametrize("path,name", [
    ("/servers", "datacenter_id"), ("/gpus", "server_id"), ("/audit-logs", "user_id"),
    ("/gpus/utilization", "datacenter_id"), ("/import-export/export", "ids"),
])
def test_non_ascii_digits_are_not_integers_in_parameters(admin_api, path, name):
    assert_400(admin_api.get(path, {name: ARABIC_22}), name)


def test_non_ascii_digits_are_not_integers_in_an_import(admin_api):
    EnvironmentFactory(code="prod")
    record = {"Datacenter": "DC-1", "Name": "web-01", "Environment": "prod", "Internal IP": "10.0.0.7",
              "SSH Port": ARABIC_22, "CPU Usage (%)": FULLWIDTH_22}
    response = upload(admin_api, xlsx({"Datacenters": rows_for("Datacenters", {"Name": "DC-1"}),
                                       "Servers": rows_for("Servers", record)}))
    assert response.status_code == 400
    errors = response.json()["data"]["servers"]["errors"]
    assert {(e["column"], e["message"]) for e in errors} >= {("SSH Port", "A valid integer is required.")}
    assert not Server.objects.exists()


# --- port mappings per container ------------------------------------------------------------

def mappings(count):
    return [{"container_port": 1 + i, "internal_port": 1 + i} for i in range(count)]


def test_a_container_has_at_most_256_port_mappings_through_the_api(admin_api):
    server = ServerFactory()
    too_many = admin_api.post("/containers", {"name": "c1", "server_id": server.id, "port_mappings": mappings(MAX_PORT_MAPPINGS + 1)})
    body = assert_400(too_many, "port_mappings")
    assert body["errors"]["port_mappings"] == [f"A container may have at most {MAX_PORT_MAPPINGS} port mappings."]
    assert not Container.objects.exists()
    created = admin_api.post("/containers", {"name": "c1", "server_id": server.id, "port_mappings": mappings(MAX_PORT_MAPPINGS)})
    assert created.status_code == 201
    container_id = created.json()["data"]["id"]
    assert_400(admin_api.put(f"/containers/{container_id}", {"port_mappings": mappings(MAX_PORT_MAPPINGS + 1)}), "port_mappings")
    assert PortMapping.objects.filter(container_id=container_id).count() == MAX_PORT_MAPPINGS


def test_a_container_has_at_most_256_port_mappings_through_an_import(admin_api, admin_user):
    import json

    container = ContainerFactory(name="c1", owner=admin_user)
    server = container.server
    record = {"Datacenter": server.datacenter.name, "Server": server.name, "Name": "c1", "Owner": admin_user.username,
              "Port Mappings": json.dumps(mappings(MAX_PORT_MAPPINGS + 1))}
    response = upload(admin_api, xlsx({"Containers": rows_for("Containers", record)}), overwrite="true")
    assert response.status_code == 400
    [error] = response.json()["data"]["containers"]["errors"]
    assert (error["column"], error["message"]) == ("Port Mappings", f"A container may have at most {MAX_PORT_MAPPINGS} port mappings.")
    assert not PortMapping.objects.exists()


def test_one_more_mapping_than_the_cap_is_refused_by_the_model(admin_user):
    container = ContainerFactory()
    PortMapping.objects.bulk_create(PortMapping(container=container, container_port=1 + i, internal_port=1)
                                    for i in range(MAX_PORT_MAPPINGS))
    with pytest.raises(ValidationError, match="at most 256 port mappings"):
        PortMapping(container=container, container_port=9, internal_port=9).full_clean()
    PortMapping.objects.filter(container=container).first().delete()
    PortMapping(container=container, container_port=9, internal_port=9).full_clean()


# --- export cells longer than a spreadsheet holds ------------------------------------------

LONG = "x" * 32_768


def test_an_inventory_export_refuses_a_value_too_long_for_a_cell(admin_api, tmp_path):
    ServerFactory(name="web-01", description=LONG)
    response = admin_api.get("/import-export/export", {"type": "servers"})
    assert response.status_code == 422
    assert response.json()["message"].startswith("Sheet Servers, cell ")
    assert "32,768 characters, more than the 32,767" in response.json()["message"]
    with pytest.raises(CommandError, match="32,768 characters"):
        call_command("export_data", str(tmp_path / "out.xlsx"), "--type", "servers")
    Server.objects.update(description="x" * 32_767)
    assert admin_api.get("/import-export/export", {"type": "servers"}).status_code == 200


def test_the_audit_export_refuses_a_value_too_long_for_a_cell(admin_api):
    server = ServerFactory(name="web-01")
    assert admin_api.patch(f"/servers/{server.id}", {"description": LONG}).status_code == 200
    response = admin_api.get("/audit-logs/export")
    assert response.status_code == 422 and response.json()["message"].startswith("Sheet ")


def test_the_writer_keeps_values_up_to_the_limit():
    assert write_workbook([("S", ["a"], [["x" * 32_767]])])


# --- ambiguous workbooks ------------------------------------------------------------------------

def test_sheets_whose_names_differ_only_by_case_are_refused(admin_api):
    headers = [h for h in HEADERS["Datacenters"]]
    content = write_workbook([("Datacenters", headers, [["DC-1"]]), ("DATACENTERS", headers, [["DC-2"]])])
    body = assert_400(upload(admin_api, content), "file")
    assert body["errors"]["file"] == [
        'The sheets "Datacenters" and "DATACENTERS" have the same name apart from case or spaces; keep one of them.']
    assert not Container.objects.exists()


def test_a_repeated_header_is_refused(admin_api):
    EnvironmentFactory(code="prod")
    headers = HEADERS["Servers"] + ["Internal IP"]
    row = ["DC-1", "web-01", "prod", "10.0.0.7"] + [None] * (len(HEADERS["Servers"]) - 4) + ["10.0.0.8"]
    response = upload(admin_api, xlsx({"Datacenters": rows_for("Datacenters", {"Name": "DC-1"}), "Servers": [headers, row]}))
    assert response.status_code == 400
    assert response.json()["data"]["servers"]["errors"] == [{
        "sheet": "Servers", "row": 1, "column": "Internal IP",
        "message": "This column appears more than once in the header row; keep one."}]
    assert not Server.objects.exists()
