"""Each model's audit representation is declared by its own app and registered with audit;
audit itself sits below the apps."""
import ast
from pathlib import Path

import pytest
from django.db.models.signals import pre_delete

from accounts.models import User
from audit import registry, signals
from audit.choices import ResourceType
from audit.registry import AuditSpec, PartSpec, fields
from inventory.models import (
    GPU, Container, Datacenter, Environment, GPUAssignment, GpuReservation, PortMapping, Server, Service,
)
from webhooks.models import Webhook

AUDIT = Path(registry.__file__).parent
APPS = ("inventory", "accounts", "webhooks")


def test_every_resource_is_registered_by_its_app():
    assert {model: registry.spec_for(model).resource_type for model in registry.audited_models()} == {
        Datacenter: ResourceType.DATACENTER, Environment: ResourceType.ENVIRONMENT, Server: ResourceType.SERVER,
        Container: ResourceType.CONTAINER, Service: ResourceType.SERVICE, GPU: ResourceType.GPU,
        User: ResourceType.USER, GpuReservation: ResourceType.GPU_RESERVATION,
        Webhook: ResourceType.WEBHOOK,
    }
    assert registry.spec_for(PortMapping) is None and registry.spec_for(GPUAssignment) is None
    assert registry.part_for(PortMapping).field == "port_mappings"


def test_registering_connects_the_delete_hook_of_that_model_only():
    def hooked(model):
        return signals.on_pre_delete in pre_delete._live_receivers(model)[0]

    assert all(hooked(model) for model in registry.audited_models())
    assert not hooked(GPUAssignment) and not hooked(PortMapping)


def test_a_part_change_lists_the_rows_as_the_part_represents_them():
    part = PartSpec("things", represent=lambda row: row.upper())
    assert part.change(["a"], ["b", "c"]) == {"things": {"old": ["A"], "new": ["B", "C"]}}
    assert part.change(None, []) == {"things": {"old": None, "new": []}}


def test_spec_values_and_hidden_fields():
    spec = AuditSpec("user", fields("username", secret="password"), snapshot=dict, name_attr="username",
                     hidden=frozenset({"secret"}))
    user = User(username="carol", password="x")
    assert spec.values_of(user) == {"username": "carol", "secret": "x"}
    assert (spec.shown("secret", "x"), spec.shown("secret", None), spec.name_of(user)) == ("***", None, "carol")


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


@pytest.mark.parametrize("path", [p for p in AUDIT.glob("*.py")], ids=lambda p: p.name)
def test_audit_below_its_api_imports_no_apps_api(path):
    """The recorder, the registry and the bulk writer know no app's API (nor its models);
    the apps register what audit needs. (``audit/api`` is the audit's own API layer.)"""
    forbidden = [m for m in imported_modules(path) if m.split(".")[0] in APPS and (".api" in m or m.endswith("models"))]
    assert forbidden == []
