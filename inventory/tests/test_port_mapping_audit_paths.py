"""A change of a container's port mappings is recorded once, in the container's audit entry,
whichever path makes it (API.md §6.3): the API, the admin's container page with its mapping
inline, the admin's own port-mapping pages and the workbook import."""
import pytest
from django.urls import reverse

from audit.models import AuditLog
from inventory.models import Container, PortMapping
from tests.factories import ContainerFactory, DatacenterFactory, EnvironmentFactory, PortMappingFactory, ServerFactory

from .workbook_helpers import rows_for, upload, xlsx

pytestmark = pytest.mark.django_db

SSH = "22 → 10.0.0.7:20022"
WEB = "80 → 10.0.0.7:8080"


@pytest.fixture
def container(admin_user):
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="DC-1"),
                           environment=EnvironmentFactory(code="prod"), internal_ip="10.0.0.7")
    container = ContainerFactory(server=server, name="c1", owner=admin_user)
    PortMappingFactory(container=container, container_port=80, internal_port=8080)
    AuditLog.objects.all().delete()
    return container


def only_entry():
    [entry] = AuditLog.objects.all()
    return entry


def chains(container):
    return [m.mapping_chain for m in container.port_mappings.all()]


def container_form(container, mappings, **fields):
    """The container change form as the admin posts it, with the mapping inline's rows
    (``mappings``: dicts; one with ``id`` is a stored row, ``DELETE`` removes it)."""
    stored = [m for m in mappings if "id" in m]
    data = {
        "name": container.name, "server": container.server_id, "image": container.image or "",
        "status": container.status, "cpu_usage": 0, "memory_usage": 0, "sort_order": container.sort_order,
        "port_mappings-TOTAL_FORMS": len(mappings), "port_mappings-INITIAL_FORMS": len(stored),
        **fields,
    }
    for i, mapping in enumerate(mappings):
        for key, value in {"protocol": "tcp", "container": container.pk, **mapping}.items():
            data[f"port_mappings-{i}-{key}"] = value
    return data


def test_api_put_and_post_record_the_mapping_change_in_one_container_entry(admin_api, container):
    response = admin_api.put(f"/containers/{container.pk}", {"port_mappings": [
        {"container_port": 22, "internal_port": 20022}]})
    assert response.status_code == 200
    entry = only_entry()
    assert (entry.action, entry.resource_type, entry.resource_id) == ("update", "container", container.pk)
    assert entry.changes == {"port_mappings": {"old": [WEB], "new": [SSH]}}

    AuditLog.objects.all().delete()
    response = admin_api.post("/containers", {"name": "c2", "server_id": container.server_id, "port_mappings": [
        {"container_port": 22, "internal_port": 20022}]})
    entry = only_entry()
    assert (entry.action, entry.resource_id) == ("create", response.json()["data"]["id"])
    assert entry.changes["port_mappings"] == {"old": None, "new": [SSH]}


def test_admin_inline_edit_records_one_container_entry(admin_client, container):
    mapping = container.port_mappings.get()
    data = container_form(container, [
        {"id": mapping.pk, "container_port": 80, "internal_port": 8081},  # changed
        {"container_port": 22, "internal_port": 20022},  # added
    ])
    response = admin_client.post(reverse("admin:inventory_container_change", args=[container.pk]), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert chains(container) == [SSH, "80 → 10.0.0.7:8081"]
    assert container.port_mappings.get(container_port=80).pk == mapping.pk  # an edited row keeps its id
    entry = only_entry()
    assert (entry.action, entry.resource_type, entry.resource_id, entry.username) == (
        "update", "container", container.pk, "admin")
    assert entry.changes == {"port_mappings": {"old": [WEB], "new": [SSH, "80 → 10.0.0.7:8081"]}}


def test_admin_inline_delete_and_field_change_share_one_entry(admin_client, container):
    mapping = container.port_mappings.get()
    data = container_form(container, [{"id": mapping.pk, "container_port": 80, "internal_port": 8080,
                                       "DELETE": "on"}], image="nginx:1.28")
    response = admin_client.post(reverse("admin:inventory_container_change", args=[container.pk]), data)
    assert response.status_code == 302
    assert chains(container) == []
    assert only_entry().changes == {"image": {"old": "nginx:1.27", "new": "nginx:1.28"},
                                    "port_mappings": {"old": [WEB], "new": []}}


def test_admin_inline_left_unchanged_records_nothing(admin_client, container):
    mapping = container.port_mappings.get()
    data = container_form(container, [{"id": mapping.pk, "container_port": 80, "internal_port": 8080}])
    assert admin_client.post(reverse("admin:inventory_container_change", args=[container.pk]), data).status_code == 302
    assert not AuditLog.objects.exists()
    assert container.port_mappings.get().pk == mapping.pk


def test_admin_container_add_lists_its_mappings_in_the_create_entry(admin_client, container):
    data = container_form(container, [{"container_port": 22, "internal_port": 20022}], name="c2")
    data.pop("port_mappings-0-container")
    assert admin_client.post(reverse("admin:inventory_container_add"), data).status_code == 302
    created = Container.objects.get(name="c2")
    entry = only_entry()
    assert (entry.action, entry.resource_id) == ("create", created.pk)
    assert entry.changes["port_mappings"] == {"old": None, "new": [SSH]}
    assert entry.changes["owner_id"] == {"old": None, "new": container.owner_id}


@pytest.mark.parametrize("step", ["add", "change", "delete"])
def test_port_mapping_admin_records_one_container_entry(admin_client, container, step):
    mapping = container.port_mappings.get()
    form = {"container": container.pk, "container_port": 22, "internal_port": 20022, "protocol": "tcp"}
    if step == "add":
        response = admin_client.post(reverse("admin:inventory_portmapping_add"), form)
        old, new = [WEB], [SSH, WEB]
    elif step == "change":
        response = admin_client.post(reverse("admin:inventory_portmapping_change", args=[mapping.pk]), form)
        old, new = [WEB], [SSH]
    else:
        response = admin_client.post(reverse("admin:inventory_portmapping_delete", args=[mapping.pk]), {"post": "yes"})
        old, new = [WEB], []
    assert response.status_code == 302, response.context and response.context.get("errors")
    assert chains(container) == new
    entry = only_entry()
    assert (entry.action, entry.resource_type, entry.resource_id, entry.username) == (
        "update", "container", container.pk, "admin")
    assert entry.changes == {"port_mappings": {"old": old, "new": new}}


def test_port_mapping_admin_bulk_delete_writes_one_entry_per_container(admin_client, container):
    other = ContainerFactory(server=container.server, name="c2")
    PortMappingFactory(container=other, container_port=22, internal_port=20022)
    PortMappingFactory(container=other, container_port=443, internal_port=8443)
    AuditLog.objects.all().delete()
    doomed = [container.port_mappings.get().pk, other.port_mappings.get(container_port=22).pk]
    response = admin_client.post(reverse("admin:inventory_portmapping_changelist"), {
        "action": "delete_selected", "_selected_action": doomed, "post": "yes"})
    assert response.status_code == 302
    entries = {e.resource_id: e.changes for e in AuditLog.objects.all()}
    assert entries == {
        container.pk: {"port_mappings": {"old": [WEB], "new": []}},
        other.pk: {"port_mappings": {"old": [SSH, "443 → 10.0.0.7:8443"], "new": ["443 → 10.0.0.7:8443"]}},
    }


def test_port_mapping_admin_keeps_a_mapping_with_its_container(admin_client, container):
    mapping = container.port_mappings.get()
    other = ContainerFactory(server=container.server, name="c2")
    form = {"container": other.pk, "container_port": 80, "internal_port": 8080, "protocol": "tcp"}
    admin_client.post(reverse("admin:inventory_portmapping_change", args=[mapping.pk]), form)
    assert PortMapping.objects.get(pk=mapping.pk).container_id == container.pk


def test_workbook_import_records_one_container_entry(admin_api, container):
    row = {"Datacenter": "DC-1", "Server": "web-01", "Name": "c1", "Owner": "admin", "Image": "nginx:1.27",
           "Port Mappings": '[{"container_port": 22, "internal_port": 20022}]'}
    response = upload(admin_api, xlsx({"Containers": rows_for("Containers", row)}), overwrite="true")
    assert response.status_code == 200, response.json()
    assert chains(container) == [SSH]
    entry = only_entry()
    assert (entry.action, entry.resource_type, entry.resource_id) == ("import", "container", container.pk)
    assert entry.changes == {"port_mappings": {"old": [WEB], "new": [SSH]}}
