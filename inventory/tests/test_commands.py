"""init_db and seed_demo, called as `make run` and operators call them."""
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import User
from audit.models import AuditLog
from inventory.choices import GPUStatus
from inventory.models import GPU, Container, Datacenter, Environment, GPUAssignment, PortMapping, Server, Service
from inventory.services.seeding import DEMO_PASSWORD, DEMO_USERS
from tests.factories import DatacenterFactory, ServerFactory

pytestmark = pytest.mark.django_db

DEFAULT_ENVIRONMENTS = [
    ("Production", "prod", "#F56C6C", 1),
    ("Staging", "staging", "#E6A23C", 2),
    ("Test", "test", "#67C23A", 3),
    ("Development", "dev", "#909399", 4),
]
SIZE = {"datacenters": 2, "servers": 6, "containers_per_server": 3, "services_per_container": 2, "gpus_per_server": 2}


def run(command, **options):
    out = StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue()


def environments():
    return list(Environment.objects.order_by("sort_order").values_list("name", "code", "color", "sort_order"))


# --- init_db --------------------------------------------------------------------------------


def test_init_db_creates_environments_admin_and_cache_table():
    out = run("init_db")
    assert "Environments: 4 created." in out and "Admin account: 'admin' created." in out
    assert environments() == DEFAULT_ENVIRONMENTS
    admin = User.objects.get()
    assert (admin.username, admin.role, admin.is_staff, admin.is_superuser) == ("admin", "admin", True, True)
    assert admin.check_password("admin123")
    assert "itam_cache" in connection.introspection.table_names()


def test_init_db_is_idempotent_and_keeps_operator_changes():
    run("init_db")
    admin = User.objects.get(username="admin")
    admin.set_password("Changed-pass-99")
    admin.save()
    Environment.objects.filter(code="test").update(name="QA")
    Environment.objects.filter(code="dev").delete()

    out = run("init_db")

    assert "Environments: already present." in out
    assert "Admin account: 'admin' already exists (password unchanged)." in out
    assert [row[0] for row in environments()] == ["Production", "Staging", "QA"]
    assert User.objects.count() == 1
    admin.refresh_from_db()
    assert admin.check_password("Changed-pass-99")


def test_init_db_uses_admin_settings(settings):
    settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD = "opsadmin", "Ops-pass-2024!"
    run("init_db")
    assert User.objects.get().username == "opsadmin"
    assert User.objects.get().check_password("Ops-pass-2024!")


def test_init_db_without_admin_password_creates_no_account(settings):
    settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD = "admin", ""
    out = run("init_db")
    assert "Admin account: skipped" in out
    assert not User.objects.exists()
    assert Environment.objects.count() == 4


def test_init_db_refuses_a_weak_password_in_production(settings):
    settings.IS_PRODUCTION = True
    settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD = "admin", "admin123"
    expected = "ADMIN_PASSWORD is too weak: The password is too similar to the username. This password is too common."
    with pytest.raises(CommandError, match=re.escape(expected)):
        run("init_db")
    assert not User.objects.exists()


# --- seed_demo ------------------------------------------------------------------------------


def fingerprint():
    """Everything seed_demo generates, minus ids and timestamps."""
    return {
        "datacenters": sorted(Datacenter.objects.values_list("name", "location")),
        "servers": sorted(Server.objects.values_list(
            "datacenter__name", "name", "environment__code", "internal_ip", "external_ip", "cpu_cores",
            "os_type", "cpu_usage", "status", "responsible_person",
        )),
        "containers": sorted(Container.objects.values_list(
            "server__internal_ip", "name", "image", "container_id", "owner__username", "assigned_user__username",
            "status", "sort_order",
        ), key=str),
        "mappings": sorted(PortMapping.objects.values_list(
            "container__container_id", "container_port", "internal_port", "external_ip", "external_port", "protocol",
        ), key=str),
        "services": sorted(Service.objects.values_list(
            "container__container_id", "name", "service_type", "port", "version", "status", "health_check_url",
        ), key=str),
        "gpus": sorted(GPU.objects.values_list(
            "server__internal_ip", "index", "model", "memory_gb", "status", "assigned_to__username",
        ), key=str),
        "assignments": sorted(GPUAssignment.objects.values_list(
            "gpu__server__internal_ip", "gpu__index", "user_name", "purpose", "release_reason",
        ), key=str),
    }


def delete_fleet():
    GPUAssignment.objects.all().delete()
    for model in (GPU, Service, PortMapping, Container, Server, Datacenter):
        model.objects.all().delete()


def test_seed_demo_counts():
    out = run("seed_demo", **SIZE, seed=3)

    assert "Seeded 2 datacenters, 6 servers, 18 containers, 36 port mappings, 36 services, 12 GPUs" in out
    assert [Model.objects.count() for Model in (Datacenter, Server, Container, PortMapping, Service, GPU)] == [
        2, 6, 18, 36, 36, 12,
    ]
    assert environments() == DEFAULT_ENVIRONMENTS
    assert sorted(User.objects.values_list("username", flat=True)) == sorted(u for u, _ in DEMO_USERS)
    assert User.objects.get(username="alice").check_password(DEMO_PASSWORD)
    assert all(c.port_mappings.count() == 2 for c in Container.objects.all())
    assert Server.objects.values("internal_ip").distinct().count() == 6
    # Every row has its history and, for audited kinds, one audit entry by "system".
    assert PortMapping.history.count() == 36 and Service.history.count() == 36
    assert GPUAssignment.history.count() == GPUAssignment.objects.count()
    assert AuditLog.objects.filter(resource_type="server", action="create", username="system").count() == 6
    assert AuditLog.objects.filter(resource_type="container").count() == 18


def test_seed_demo_names_servers_alike_in_different_datacenters():
    """The default demo fleet keeps the ambiguity the admin's labels resolve (``api-01 (AMS1)``)."""
    run("seed_demo", containers_per_server=0, services_per_container=0, gpus_per_server=0)

    datacenters_of = {}
    for name, datacenter in Server.objects.values_list("name", "datacenter__name"):
        datacenters_of.setdefault(name, set()).add(datacenter)
    shared = {name: dcs for name, dcs in datacenters_of.items() if len(dcs) > 1}
    assert len(shared) >= 3, datacenters_of
    assert len({server.label for server in Server.objects.labelled()}) == Server.objects.count()


def test_seeded_gpu_assignments_are_consistent():
    run("seed_demo", datacenters=2, servers=20, containers_per_server=0, services_per_container=0,
        gpus_per_server=4, seed=11)
    held = GPU.objects.filter(assigned_to__isnull=False)
    assert held.exists() and GPU.objects.filter(assigned_to__isnull=True).exists()
    assert all(gpu.status == GPUStatus.IN_USE for gpu in held)
    open_assignments = GPUAssignment.objects.filter(released_at__isnull=True)
    assert sorted(open_assignments.values_list("gpu_id", "user_id")) == sorted(held.values_list("id", "assigned_to_id"))
    released = GPUAssignment.objects.filter(released_at__isnull=False)
    assert released.exists()
    assert all(a.assigned_at <= a.released_at and a.release_reason in ("manual", "expired") for a in released)


def test_seed_demo_is_deterministic_for_a_seed():
    run("seed_demo", **SIZE, seed=42)
    first = fingerprint()
    delete_fleet()
    run("seed_demo", **SIZE, seed=42)
    assert fingerprint() == first
    delete_fleet()
    run("seed_demo", **SIZE, seed=43)
    assert fingerprint() != first


def test_seed_demo_if_empty():
    out = run("seed_demo", if_empty=True)
    assert "Seeded 3 datacenters, 30 servers, 90 containers" in out
    assert "Demo users: alice, bob" in out and DEMO_PASSWORD in out
    out = run("seed_demo", if_empty=True)
    assert out == "The inventory already has servers: no demo data added.\n"
    assert Server.objects.count() == 30


def test_seed_demo_if_empty_leaves_existing_servers_alone():
    ServerFactory()
    run("seed_demo", if_empty=True)
    assert Server.objects.count() == 1 and Datacenter.objects.count() == 1


def test_seed_demo_skips_datacenter_names_in_use():
    DatacenterFactory(name="fra1")
    run("seed_demo", datacenters=2, servers=2, containers_per_server=1, services_per_container=1, gpus_per_server=0)
    assert sorted(Datacenter.objects.values_list("name", flat=True)) == ["AMS1", "LON1", "fra1"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"gpus_per_server": 17}, re.escape("--gpus-per-server must be between 0 and 16.")),
        ({"servers": -1}, re.escape("--servers must be between 0 and 62500.")),
        ({"datacenters": 0, "servers": 5}, re.escape("Servers need at least one datacenter.")),
    ],
)
def test_seed_demo_rejects_sizes_it_cannot_build(options, message):
    with pytest.raises(CommandError, match=message):
        run("seed_demo", **options)
    assert not Server.objects.exists()


def test_seed_demo_command_line_options():
    out = StringIO()
    call_command(
        "seed_demo", "--datacenters", "1", "--servers", "2", "--containers-per-server", "1",
        "--services-per-container", "3", "--gpus-per-server", "0", "--seed", "9", stdout=out,
    )
    assert [Model.objects.count() for Model in (Datacenter, Server, Container, Service, GPU)] == [1, 2, 2, 6, 0]
