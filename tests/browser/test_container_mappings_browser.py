"""An operator edits a container's port mapping in the admin's inline, then reads the audit
log: one entry for the container, showing the mapping's old and new chain.

Leaves var/screenshots/<test name>[-step].png (see conftest.py).
"""
from playwright.sync_api import expect

from audit.models import AuditLog
from tests.factories import ContainerFactory, PortMappingFactory, ServerFactory


def test_edit_a_port_mapping_inline_and_read_its_audit_entry(admin_page, ops_admin, screenshot):
    page = admin_page
    container = ContainerFactory(server=ServerFactory(name="web-01", internal_ip="10.0.0.7"), name="nginx-01",
                                 owner=ops_admin)
    PortMappingFactory(container=container, container_port=80, internal_port=8080)
    AuditLog.objects.all().delete()

    page.goto(f"/admin/inventory/container/{container.pk}/change/")
    page.fill("#id_port_mappings-0-internal_port", "8081")
    screenshot(page, "inline")
    page.locator('input[name="_continue"]').click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    expect(page.locator("#id_port_mappings-0-internal_port")).to_have_value("8081")

    [entry] = AuditLog.objects.all()
    assert (entry.action, entry.resource_type, entry.resource_id, entry.username) == (
        "update", "container", container.pk, "ops")
    assert entry.changes == {"port_mappings": {"old": ["80 → 10.0.0.7:8080"], "new": ["80 → 10.0.0.7:8081"]}}

    page.goto("/admin/audit/auditlog/")
    page.locator("#result_list tbody tr").first.locator("a").first.click()
    changes = page.locator(".field-changes_pretty pre")
    expect(changes).to_contain_text('"port_mappings"')
    expect(changes).to_contain_text("80 → 10.0.0.7:8080")
    expect(changes).to_contain_text("80 → 10.0.0.7:8081")
