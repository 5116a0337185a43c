"""Issue 19 §8: text with C0 control characters (other than tab and line breaks) is refused
at input on every path (API, import, admin) with one clear message, since a spreadsheet
cell cannot hold it; the text that is accepted survives export -> import unchanged."""
import pytest
from django.urls import reverse

from inventory.models import Datacenter, GPU, PortMapping, Server
from inventory.services.importing import import_workbook
from inventory.workbook import SheetData, normalize_header
from itam.text import CONTROL_CHARACTERS_MESSAGE
from tests.factories import ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUFactory, ServerFactory

from .workbook_helpers import HEADERS, read_xlsx, upload

pytestmark = pytest.mark.django_db

HOSTILE = ["a\x01b", "\x0bvertical tab", "bell\x07", "esc\x1b[31m", "form\x0cfeed", "unit\x1f"]
# Accepted text that is easy to lose on the way through a workbook.
SURVIVORS = ["tab\there", "two\nlines", "windows\r\nbreak", "=1+1", "'quoted", "@user", "-5", "ünïcødé ✓",
             '<b>"&amp;"</b>', "  inner  spaces", "trailing\n"]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_api_refuses_control_characters_in_text_fields(admin_api, admin_user, text):
    server = ServerFactory(description="before")
    response = admin_api.patch(f"/servers/{server.id}", {"description": text, "os_type": text})
    assert response.status_code == 400
    assert response.json()["errors"] == {"description": [CONTROL_CHARACTERS_MESSAGE], "os_type": [CONTROL_CHARACTERS_MESSAGE]}
    server.refresh_from_db()
    assert server.description == "before"
    container = ContainerFactory(server=server)
    mapping = {"container_port": 80, "internal_port": 80, "description": text}
    response = admin_api.patch(f"/containers/{container.id}", {"port_mappings": [mapping]})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["port_mappings.0.description"]
    gpu = GPUFactory(server=server, index=0)
    response = admin_api.post(f"/gpus/{gpu.id}/assign", {"user_id": admin_user.id, "purpose": text})
    assert response.status_code == 400 and response.json()["errors"] == {"purpose": [CONTROL_CHARACTERS_MESSAGE]}
    response = admin_api.patch(f"/users/{admin_user.id}", {"display_name": text})
    assert response.status_code == 400 and response.json()["errors"] == {"display_name": [CONTROL_CHARACTERS_MESSAGE]}
    assert not PortMapping.objects.exists() and GPU.objects.get().assigned_to is None


def test_names_and_edges_of_text_get_the_same_message(admin_api):
    """Checked before trimming: a control character at the edge is refused, not trimmed away."""
    dc, env = DatacenterFactory(), EnvironmentFactory()
    response = admin_api.post("/servers", {"name": "web\x01", "datacenter_id": dc.id, "environment_id": env.id,
                                           "internal_ip": "10.0.0.1", "description": "\x1cedge\x0b"})
    assert response.json()["errors"] == {"name": [CONTROL_CHARACTERS_MESSAGE], "description": [CONTROL_CHARACTERS_MESSAGE]}
    assert not Server.objects.exists()


def test_the_importer_refuses_control_characters(admin_user):
    """Workbook XML cannot carry them, but the admin's CSV/JSON imports and any other sheet
    source can: the importer checks the model fields' rule."""
    EnvironmentFactory(code="prod")
    DatacenterFactory(name="DC-1")
    headers = HEADERS["Servers"]
    row = {"Datacenter": "DC-1", "Name": "web-01", "Environment": "prod", "Internal IP": "10.0.0.7",
           "Description": "a\x01b"}
    values = [row.get(h.rstrip("*")) for h in headers]
    sheet = SheetData("Servers", headers, [(2, values)])
    report = import_workbook({normalize_header("Servers"): sheet}, user=admin_user, overwrite=True)
    assert report.sheets["servers"].errors == [
        {"sheet": "Servers", "row": 2, "column": "Description", "message": CONTROL_CHARACTERS_MESSAGE}]
    assert not Server.objects.exists()


def test_the_admin_refuses_control_characters(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("admin:inventory_datacenter_add"),
                           {"name": "DC-9", "location": "hall\x01", "description": "", "is_active": "on"})
    assert response.status_code == 200  # the form again, with the error
    assert CONTROL_CHARACTERS_MESSAGE in response.content.decode()
    assert not Datacenter.objects.filter(name="DC-9").exists()


def test_accepted_text_survives_export_and_reimport(admin_api):
    server = ServerFactory(name="web-01")
    assert admin_api.patch(f"/servers/{server.id}", {"description": "\n".join(SURVIVORS)}).status_code == 200
    server.refresh_from_db()
    created = [admin_api.post("/datacenters", {"name": f"hostile-{i}", "location": text, "description": text})
               for i, text in enumerate(SURVIVORS)]
    assert [r.status_code for r in created] == [201] * len(SURVIVORS), [r.json() for r in created]
    stored = {dc.name: (dc.location, dc.description) for dc in Datacenter.objects.exclude(pk=server.datacenter_id)}
    content = admin_api.get("/import-export/export", {"type": "all"}).content
    response = upload(admin_api, content, overwrite="true")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["datacenters"]["updated"] == 0, response.json()
    assert response.json()["data"]["servers"]["updated"] == 0
    assert {dc.name: (dc.location, dc.description) for dc in Datacenter.objects.exclude(pk=server.datacenter_id)} == stored
    Server.objects.filter(pk=server.pk).delete()
    assert upload(admin_api, content, overwrite="true").json()["data"]["servers"]["created"] == 1
    assert Server.objects.get().description == server.description
    assert read_xlsx(admin_api.get("/import-export/export", {"type": "all"}).content) == read_xlsx(content)
