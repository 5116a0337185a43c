"""Round trip (API.md §7.4): export -> import into an empty inventory -> export again gives
identical cells; re-importing into the source changes nothing."""
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLog
from inventory.models import GPU, Container, Datacenter, GPUAssignment, GpuReservation, Server, Service
from inventory.services.reservation_jobs import start_due_reservations
from tests.factories import (
    ContainerFactory,
    DatacenterFactory,
    EnvironmentFactory,
    GPUFactory,
    PortMappingFactory,
    ServerFactory,
    ServiceFactory,
)

from .workbook_helpers import read_xlsx, report, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def source_fleet(normal_user, other_user):
    prod, dev = EnvironmentFactory(code="prod"), EnvironmentFactory(code="dev", name="Development", sort_order=4)
    north = DatacenterFactory(name="DC-North", location="Building A", description="=main hall")
    south = DatacenterFactory(name="dc-south", location=None, is_active=False)
    web = ServerFactory(datacenter=north, environment=prod, name="web-01", internal_ip="10.0.0.7",
                        external_ip="2001:db8::7", cpu_usage=35.5, ssh_port=2222, ssh_user="ops",
                        responsible_person="Alice", description="+ front")
    gpu_box = ServerFactory(datacenter=south, environment=dev, name="gpu-01", internal_ip="10.0.1.1",
                            cpu_cores=None, memory_gb=None, disk_gb=None, os_type=None, status="maintenance")
    nginx = ContainerFactory(server=web, name="nginx", owner=normal_user, assigned_user=other_user, cpu_limit=2.5,
                             memory_limit_mb=2048, status="stopped", sort_order=3, container_id="3f2a9c1b7d4e")
    PortMappingFactory(container=nginx, container_port=443, internal_port=8443, external_ip="203.0.113.10",
                       external_port=443, description="https")
    PortMappingFactory(container=nginx, container_port=22, internal_ip="fd00::5", internal_port=20022, protocol="udp")
    ContainerFactory(server=gpu_box, name="trainer", owner=other_user, image=None)
    ServiceFactory(container=nginx, name="nginx-80", owner=normal_user, service_type=None, port=None, version="1.27",
                   status="unhealthy", health_check_url="http://10.0.0.7/health", sort_order=1)
    held = GPUFactory(server=gpu_box, index=0, status="in_use", assigned_to=normal_user, gpu_usage=99.5, sort_order=2)
    GPUFactory(server=gpu_box, index=1, status="error", description="fan broken")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    GpuReservation.objects.create(gpu=held, user=normal_user, starts_at=hour - timedelta(hours=1),
                                  ends_at=hour + timedelta(hours=3), status="active", purpose="=fine-tune")
    GpuReservation.objects.create(gpu=held, user=normal_user, starts_at=hour + timedelta(days=1, minutes=30),
                                  ends_at=hour + timedelta(days=2))
    GpuReservation.objects.create(gpu=held, user=other_user, starts_at=hour + timedelta(days=3),
                                  ends_at=hour + timedelta(days=4), status="cancelled")  # history: not exported


def export_all(api):
    response = api.get("/import-export/export", {"type": "all"})
    assert response.status_code == 200
    return response.content


def delete_inventory():
    GpuReservation.objects.all().delete()
    Service.objects.all().delete()
    Container.objects.all().delete()
    GPUAssignment.objects.all().delete()
    GPU.objects.all().delete()
    Server.objects.all().delete()
    Datacenter.objects.all().delete()


def test_export_import_export_gives_identical_cells(admin_api, source_fleet):
    first = export_all(admin_api)
    delete_inventory()

    response = upload(admin_api, first, overwrite="true")
    assert response.status_code == 200, response.json()
    assert response.json()["data"] == {
        "dry_run": False, "datacenters": report(created=2), "servers": report(created=2),
        "containers": report(created=2), "services": report(created=1), "gpus": report(created=2),
        "reservations": report(created=2),
    }
    assert GpuReservation.objects.filter(status="pending").count() == 2  # booked; the jobs start them
    start_due_reservations()
    again = export_all(admin_api)
    assert read_xlsx(again) == read_xlsx(first)
    assert GPU.objects.get(index=0).assignments.get().release_reason is None  # the assignee's record was opened


def test_reimporting_into_the_source_skips_every_row(admin_api, source_fleet):
    content = export_all(admin_api)
    audit_before = AuditLog.objects.count()
    response = upload(admin_api, content, overwrite="true")
    assert response.status_code == 200
    assert response.json()["message"] == "Import finished: 0 created, 0 updated, 11 skipped."
    assert response.json()["data"]["containers"] == report(skipped=2)
    assert AuditLog.objects.count() == audit_before


def test_export_cells_use_the_import_encodings(admin_api, source_fleet):
    book = read_xlsx(export_all(admin_api))
    assert book["Datacenters"][1:] == [["DC-North", "Building A", "=main hall", True], ["dc-south", None, None, False]]
    server = dict(zip([h.rstrip("*") for h in book["Servers"][0]], book["Servers"][1]))
    assert (server["Name"], server["Environment"], server["External IP"], server["CPU Usage (%)"],
            server["SSH Port"], server["Description"]) == ("web-01", "prod", "2001:db8::7", 35.5, 2222, "+ front")
    container = dict(zip([h.rstrip("*") for h in book["Containers"][0]], book["Containers"][1]))
    assert container["Port Mappings"] == (
        '[{"container_port": 22, "internal_ip": "fd00::5", "internal_port": 20022, "external_ip": null, '
        '"external_port": null, "protocol": "udp", "description": null}, '
        '{"container_port": 443, "internal_ip": null, "internal_port": 8443, "external_ip": "203.0.113.10", '
        '"external_port": 443, "protocol": "tcp", "description": "https"}]'
    )
    assert (container["Owner"], container["Assigned User"]) == ("alice", "bob")
    gpu = dict(zip([h.rstrip("*") for h in book["GPUs"][0]], book["GPUs"][1]))
    assert (gpu["Status"], gpu["Assigned To"], gpu["GPU Usage (%)"]) == ("in_use", "alice", 99.5)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0, tzinfo=None)
    assert book["Reservations"] == [
        ["Datacenter*", "Server*", "GPU Index*", "User*", "Starts At (UTC)*", "Ends At (UTC)*", "Purpose", "Status"],
        ["dc-south", "gpu-01", 0, "alice", hour - timedelta(hours=1), hour + timedelta(hours=3), "=fine-tune", "active"],
        ["dc-south", "gpu-01", 0, "alice", hour + timedelta(days=1, minutes=30), hour + timedelta(days=2), None,
         "pending"],
    ]
