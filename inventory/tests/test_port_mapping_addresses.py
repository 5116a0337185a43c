"""One mapping per external ip:port/protocol (issue 16, point 5; docs/API-NOTES.md "Port
mappings"): the container service's rule on every path, the database constraint behind it."""
import json

import pytest
from django.db import IntegrityError, transaction

from inventory.models import Container, PortMapping
from inventory.services import containers
from inventory.services.importing import import_workbook
from inventory.workbook import read_workbook
from itam.errors import Conflict
from tests.factories import ContainerFactory, DatacenterFactory, PortMappingFactory, ServerFactory

from .workbook_helpers import rows_for, upload, xlsx

pytestmark = pytest.mark.django_db

TAKEN = "External address 203.0.113.10:8080/tcp is already used by container nginx-01 on web-01 (AMS1)."


@pytest.fixture
def holder(normal_user):
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="AMS1"), internal_ip="10.0.0.7")
    container = ContainerFactory(server=server, name="nginx-01", owner=normal_user)
    PortMappingFactory(container=container, container_port=80, external_ip="203.0.113.10", external_port=8080)
    return container


def published(port=8080, ip="203.0.113.10", protocol="tcp", container_port=80):
    return {"container_port": container_port, "internal_port": 20000 + container_port, "external_ip": ip,
            "external_port": port, "protocol": protocol}


# --- the service ---------------------------------------------------------------------------

def test_the_service_refuses_an_address_another_container_holds(holder, normal_user):
    other = Container(name="api-01", server=holder.server)
    with pytest.raises(Conflict) as refused:
        containers.create({"name": "api-01", "server": holder.server,
                           "port_mappings": [published(port=9000), published()]}, creator=normal_user)
    assert refused.value.message == TAKEN
    assert refused.value.errors == {"port_mappings.1.external_port": [TAKEN]}
    assert not Container.objects.filter(name=other.name).exists()


def test_an_address_is_free_on_another_port_ip_or_protocol_and_without_ip_or_port(holder, normal_user):
    container = containers.create({"name": "api-01", "server": holder.server, "port_mappings": [
        published(port=8081), published(ip="203.0.113.11"), published(protocol="udp"),
        published(ip=None), {**published(), "external_port": None, "container_port": 81},
    ]}, creator=normal_user)
    assert container.port_mappings.count() == 5
    assert container.port_mappings.filter(external_ip=None).count() == 1  # the one without IP


def test_the_same_address_twice_in_one_container_is_refused(db, normal_user):
    server = ServerFactory()
    with pytest.raises(Conflict) as refused:
        containers.create({"name": "api-01", "server": server, "port_mappings": [
            published(container_port=80), published(container_port=81)]}, creator=normal_user)
    assert refused.value.errors == {"port_mappings.1.external_port": [
        "External address 203.0.113.10:8080/tcp is already used by another mapping of this container."]}


def test_a_container_keeps_its_own_address_when_its_mappings_are_rewritten(holder):
    containers.update(holder, {"port_mappings": [published(container_port=443), published(port=8443)]})
    assert sorted(holder.port_mappings.values_list("container_port", "external_port")) == [(80, 8443), (443, 8080)]


def test_a_new_mapping_may_take_the_address_a_changed_one_gives_up(holder):
    [mapping] = holder.port_mappings.all()
    mapping.external_port = 9090
    containers.save_container(holder, mappings=[mapping, PortMapping(**published(container_port=81))])
    assert sorted(holder.port_mappings.values_list("container_port", "external_port")) == [(80, 9090), (81, 8080)]


def test_two_kept_mappings_swapping_addresses_is_a_conflict_not_an_error(holder):
    second = PortMappingFactory(container=holder, container_port=81, external_ip="203.0.113.10", external_port=8081)
    first = holder.port_mappings.get(container_port=80)
    first.external_port, second.external_port = 8081, 8080
    with pytest.raises(Conflict, match="exchange their external addresses"):
        containers.save_container(holder, mappings=[first, second])


def test_the_database_refuses_what_the_service_would(holder):
    with pytest.raises(IntegrityError), transaction.atomic():
        PortMapping.objects.create(container=ContainerFactory(), container_port=1, internal_port=1,
                                   external_ip="203.0.113.10", external_port=8080, protocol="tcp")


# --- the API -------------------------------------------------------------------------------

def test_api_create_with_a_taken_address_is_a_422_naming_the_holder(user_api, holder):
    response = user_api.post("/containers", {"name": "api-01", "server_id": holder.server_id,
                                             "port_mappings": [published()]})
    assert response.status_code == 422
    body = response.json()
    assert body == {"code": 422, "message": TAKEN, "data": None,
                    "errors": {"port_mappings.0.external_port": [TAKEN]}}
    assert Container.objects.count() == 1


def test_api_update_with_a_taken_address_changes_nothing(user_api, holder, normal_user):
    other = ContainerFactory(server=holder.server, name="api-01", owner=normal_user)
    PortMappingFactory(container=other, container_port=22)
    response = user_api.put(f"/containers/{other.pk}", {"port_mappings": [published(container_port=443)]})
    assert response.status_code == 422
    assert list(other.port_mappings.values_list("container_port", flat=True)) == [22]


# --- the workbook import -------------------------------------------------------------------

def containers_sheet(*records):
    return rows_for("Containers", *[{"Datacenter": "AMS1", "Server": "web-01", **record} for record in records])


def test_import_refuses_a_taken_address_on_the_row_and_writes_nothing(admin_api, holder):
    content = xlsx({"Containers": containers_sheet(
        {"Name": "api-01", "Port Mappings": json.dumps([published()])})})
    response = upload(admin_api, content)
    assert response.status_code == 400
    assert response.json()["data"]["containers"]["errors"] == [
        {"sheet": "Containers", "row": 2, "column": "Port Mappings", "message": TAKEN}]
    assert Container.objects.count() == 1


def test_import_refuses_two_rows_claiming_one_address(admin_user, holder):
    sheets = read_workbook(xlsx({"Containers": containers_sheet(
        {"Name": "api-01", "Port Mappings": json.dumps([published(port=7000)])},
        {"Name": "api-02", "Port Mappings": json.dumps([published(port=7000)])})}))
    report = import_workbook(sheets, user=admin_user)
    assert report.sheets["containers"].errors == [{
        "sheet": "Containers", "row": 3, "column": "Port Mappings",
        "message": "External address 203.0.113.10:7000/tcp is already used by container api-01 on web-01 (AMS1)."}]
    counts = report.sheets["containers"]
    assert (counts.created, [o.row for o in counts.outcomes]) == (1, [2])  # row 3 is an error, not a create


def test_import_may_move_an_address_between_containers_it_rewrites(admin_user, holder):
    ContainerFactory(server=holder.server, name="api-01")
    sheets = read_workbook(xlsx({"Containers": containers_sheet(
        {"Name": "nginx-01", "Port Mappings": "[]"},
        {"Name": "api-01", "Port Mappings": json.dumps([published()])})}))
    report = import_workbook(sheets, user=admin_user, overwrite=True)
    assert report.ok, report.errors()
    assert PortMapping.objects.get(external_port=8080).container.name == "api-01"


def test_seeding_twice_publishes_every_address_once(db):
    from inventory.services.seeding import FleetSize, seed_fleet

    size = FleetSize(datacenters=2, servers=40, containers_per_server=2, services_per_container=0, gpus_per_server=0)
    seed_fleet(size, seed=1)
    seed_fleet(size, seed=1)  # seed_demo adds a fleet to what is there
    keys = list(PortMapping.objects.exclude(external_port=None).values_list("external_ip", "external_port", "protocol"))
    assert len(keys) > 4 and len(keys) == len(set(keys))
