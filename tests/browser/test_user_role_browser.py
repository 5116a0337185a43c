"""A `user`-role account signs in to the admin in Chromium, reads the inventory and adds a
container, which it then owns; another's container opens read-only (issue 16, point 8).

Leaves var/screenshots/<test name>[-step].png (see conftest.py).
"""
from playwright.sync_api import expect

from inventory.models import Container
from tests.browser.conftest import PASSWORD
from tests.factories import ContainerFactory, DatacenterFactory, ServerFactory, UserFactory


def test_a_user_signs_in_reads_the_inventory_and_adds_a_container(page, transactional_db, screenshot):
    alice = UserFactory(username="alice", display_name="Alice")
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="AMS1"))
    theirs = ContainerFactory(server=server, name="redis-01", owner=UserFactory(username="bob"))

    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.locator('input[type="submit"]').click()
    expect(page.locator("#servers-by-status")).to_be_visible()  # the dashboard
    expect(page.locator("#latest-audit")).to_have_count(0)
    expect(page.locator("#user-tools")).not_to_contain_text("Workbook")
    expect(page.locator("a[href='/admin/accounts/user/']")).to_have_count(0)
    screenshot(page, "dashboard")

    page.goto("/admin/inventory/server/")
    expect(page.locator("#result_list")).to_contain_text("web-01")
    expect(page.locator(".object-tools a")).to_have_count(0)  # no Add, no export: the admins'
    page.goto("/admin/inventory/container/")
    expect(page.locator(".object-tools a.addlink")).to_be_visible()  # any user adds containers

    page.goto("/admin/inventory/container/add/")
    page.fill("#id_name", "alice-dev")
    page.locator(".field-server .select2-selection").click()
    page.locator(".select2-search__field").fill("web")
    page.locator(".select2-results__option", has_text="web-01").click()
    page.locator("#port_mappings-group .add-row a").click()
    page.fill("#id_port_mappings-0-container_port", "22")
    page.fill("#id_port_mappings-0-internal_port", "20022")
    screenshot(page, "add")
    page.locator('input[name="_continue"]').click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    container = Container.objects.get(name="alice-dev")
    assert container.owner == alice and container.port_mappings.count() == 1

    page.goto(f"/admin/inventory/container/{theirs.pk}/change/")
    expect(page.locator("#id_name")).to_have_count(0)  # read-only: shown, not editable
    expect(page.locator(".field-name .readonly")).to_have_text("redis-01")
    expect(page.locator('input[name="_save"]')).to_have_count(0)
    screenshot(page, "read-only")

    page.locator("#logout-form button").click()
    expect(page.locator("body")).to_contain_text("Logged out")
