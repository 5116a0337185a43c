"""The container service (``inventory.services.containers``) called directly: its one
comparer, mapping replacement and the container's audit entry, for one container and in bulk."""
import pytest

from audit.bulk import bulk_create_with_audit, bulk_update_with_audit
from audit.choices import Action
from audit.context import ChangeContext, use_context
from audit.models import AuditLog
from inventory.models import Container, PortMapping
from inventory.services import containers
from inventory.services.containers import MappingReplacements, mapping_key, same_mappings
from itam.errors import Conflict
from tests.factories import ContainerFactory, PortMappingFactory, ServerFactory, ServiceFactory

pytestmark = pytest.mark.django_db

SSH = {"container_port": 22, "internal_port": 20022}
WEB = {"container_port": 80, "internal_port": 8080}


@pytest.fixture(autouse=True)
def acting(admin_user):
    with use_context(ChangeContext(user=admin_user, username=admin_user.username)):
        yield


@pytest.fixture
def server():
    return ServerFactory(internal_ip="10.0.0.7")


@pytest.fixture
def container(server, normal_user):
    container = ContainerFactory(server=server, owner=normal_user, name="c1")
    PortMappingFactory(container=container, **WEB)
    AuditLog.objects.all().delete()
    return container


def only_entry():
    [entry] = AuditLog.objects.filter(resource_type="container")
    return entry


def chains(container):
    return [m.mapping_chain for m in container.port_mappings.all()]


# --- the comparer -----------------------------------------------------------------------------

def test_mapping_key_reads_objects_and_dicts_alike_with_blank_as_null():
    stored = PortMapping(container_port=80, internal_port=8080, protocol="tcp", description="")
    parsed = {"container_port": 80, "internal_ip": None, "internal_port": 8080, "external_ip": None,
              "external_port": None, "protocol": "tcp", "description": None}
    assert mapping_key(stored) == mapping_key(parsed)


def test_same_mappings_ignores_order_and_ids_but_not_values():
    a, b = PortMapping(pk=1, **SSH), PortMapping(pk=2, **WEB)
    assert same_mappings([a, b], [PortMapping(**WEB), PortMapping(**SSH)])
    assert not same_mappings([a, b], [PortMapping(**WEB), PortMapping(container_port=22, internal_port=20023)])
    assert not same_mappings([a, b], [PortMapping(**WEB)])
    assert not same_mappings([a], [PortMapping(**SSH, protocol="udp")])


# --- one container ----------------------------------------------------------------------------

def test_create_owns_sorts_and_lists_the_mappings_in_the_create_entry(server, normal_user):
    container = containers.create({"name": "c2", "server": server, "port_mappings": [WEB, SSH]}, creator=normal_user)
    assert container.owner == normal_user
    assert chains(container) == ["22 → 10.0.0.7:20022", "80 → 10.0.0.7:8080"]
    entry = only_entry()
    assert entry.action == "create"
    assert entry.changes["port_mappings"] == {"old": None, "new": ["22 → 10.0.0.7:20022", "80 → 10.0.0.7:8080"]}


def test_a_new_container_without_mappings_still_lists_them(server, normal_user):
    containers.create({"name": "c2", "server": server, "port_mappings": None}, creator=normal_user)
    assert only_entry().changes["port_mappings"] == {"old": None, "new": []}


def test_update_replaces_the_mappings_in_one_entry_with_the_field_changes(container):
    containers.update(container, {"image": "nginx:2", "port_mappings": [SSH]})
    assert chains(container) == ["22 → 10.0.0.7:20022"]
    assert only_entry().changes == {
        "image": {"old": "nginx:1.27", "new": "nginx:2"},
        "port_mappings": {"old": ["80 → 10.0.0.7:8080"], "new": ["22 → 10.0.0.7:20022"]},
    }


def test_the_same_mappings_sent_back_keep_their_ids_and_write_nothing(container):
    mapping = container.port_mappings.get()
    containers.update(container, {"port_mappings": [{**WEB, "protocol": "tcp", "description": None}]})
    assert container.port_mappings.get().pk == mapping.pk
    assert mapping.history.count() == 1 and not AuditLog.objects.exists()


def test_null_mappings_remove_them_all(container):
    containers.update(container, {"port_mappings": None})
    assert chains(container) == []
    assert only_entry().changes == {"port_mappings": {"old": ["80 → 10.0.0.7:8080"], "new": []}}


def test_old_chains_show_the_server_they_were_stored_under(container):
    moved_to = ServerFactory(internal_ip="10.9.9.9")
    containers.update(container, {"server": moved_to, "port_mappings": [SSH]})
    assert only_entry().changes["port_mappings"] == {"old": ["80 → 10.0.0.7:8080"], "new": ["22 → 10.9.9.9:20022"]}


def test_update_without_mappings_leaves_them(container):
    mapping = container.port_mappings.get()
    containers.update(container, {"purpose": "web"})
    assert container.port_mappings.get().pk == mapping.pk
    assert only_entry().changes == {"purpose": {"old": None, "new": "web"}}


def test_save_container_keeps_edited_rows_adds_new_and_deletes_the_rest(container):
    kept = container.port_mappings.get()
    doomed = PortMappingFactory(container=container, container_port=443, internal_port=8443)
    AuditLog.objects.all().delete()
    kept.internal_port = 8081
    containers.save_container(container, mappings=[kept, PortMapping(**SSH)])
    assert not PortMapping.objects.filter(pk=doomed.pk).exists()
    assert container.port_mappings.get(container_port=80).pk == kept.pk
    assert only_entry().changes == {"port_mappings": {
        "old": ["80 → 10.0.0.7:8080", "443 → 10.0.0.7:8443"], "new": ["22 → 10.0.0.7:20022", "80 → 10.0.0.7:8081"]}}


def test_a_duplicate_name_is_a_conflict_and_writes_no_mapping(container, server):
    other = ContainerFactory(server=server, name="c2")
    with pytest.raises(Conflict):
        containers.update(other, {"name": "C1", "port_mappings": [SSH]})
    assert not other.port_mappings.exists()


def test_delete_records_the_container_with_its_services_in_the_snapshot(container):
    ServiceFactory(container=container, name="nginx-80")
    pk = container.pk
    containers.delete(container)
    entry = only_entry()
    assert (entry.action, entry.resource_id) == ("delete", pk)
    assert [s["name"] for s in entry.snapshot["services"]] == ["nginx-80"]
    assert [m["mapping_chain"] for m in entry.snapshot["port_mappings"]] == ["80 → 10.0.0.7:8080"]


# --- one mapping on its own -------------------------------------------------------------------

def test_save_port_mapping_is_a_change_of_the_containers_mappings(container):
    containers.save_port_mapping(PortMapping(container=container, **SSH))
    mapping = container.port_mappings.get(container_port=80)
    mapping.internal_port = 8081
    containers.save_port_mapping(mapping)
    assert [e.changes for e in AuditLog.objects.filter(resource_type="container").order_by("id")] == [
        {"port_mappings": {"old": ["80 → 10.0.0.7:8080"], "new": ["22 → 10.0.0.7:20022", "80 → 10.0.0.7:8080"]}},
        {"port_mappings": {"old": ["22 → 10.0.0.7:20022", "80 → 10.0.0.7:8080"],
                           "new": ["22 → 10.0.0.7:20022", "80 → 10.0.0.7:8081"]}},
    ]


def test_delete_port_mappings_writes_one_entry_per_container(container, server):
    other = ContainerFactory(server=server, name="c2")
    PortMappingFactory(container=other, **SSH)
    AuditLog.objects.all().delete()
    containers.delete_port_mappings(PortMapping.objects.all())
    assert not PortMapping.objects.exists()
    assert sorted((e.resource_id, e.changes["port_mappings"]["new"]) for e in AuditLog.objects.filter(resource_type="container")) == [
        (container.pk, []), (other.pk, [])]


# --- many containers (the bulk variant) ---------------------------------------------------------

def test_bulk_replacements_record_each_containers_mappings(container, server, normal_user):
    new = Container(name="c2", server=server, owner=normal_user)
    replacements = MappingReplacements()
    replacements.add(new, None, [PortMapping(container=new, **SSH)])
    replacements.add(container, list(container.port_mappings.all()), [])
    with replacements.recorded():
        bulk_create_with_audit(Container, [new], action=Action.IMPORT)
        container.purpose = "web"
        bulk_update_with_audit(Container, [container], ["purpose"], action=Action.IMPORT)
    created = replacements.write()
    assert [m.container_id for m in created] == [new.pk]
    assert (chains(new), chains(container)) == (["22 → 10.0.0.7:20022"], [])
    changes = {e.resource_id: e.changes for e in AuditLog.objects.filter(resource_type="container")}
    assert changes[new.pk]["port_mappings"] == {"old": None, "new": ["22 → 10.0.0.7:20022"]}
    assert changes[container.pk] == {"purpose": {"old": None, "new": "web"},
                                     "port_mappings": {"old": ["80 → 10.0.0.7:8080"], "new": []}}
