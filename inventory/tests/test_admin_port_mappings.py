"""The admin's port-mapping pages (issue 16, point 5): a taken external address is a form
error naming its holder, on the container page's inline and on the mapping's own page; the
list searches port numbers and shows server and datacenter."""
import pytest
from django.urls import reverse

from inventory.models import PortMapping
from tests.factories import ContainerFactory, DatacenterFactory, PortMappingFactory, ServerFactory

pytestmark = pytest.mark.django_db

TAKEN = "External address 203.0.113.10:8080/tcp is already used by container nginx-01 on web-01 (AMS1)."


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def holder(admin_user):
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="AMS1"), internal_ip="10.0.0.7")
    container = ContainerFactory(server=server, name="nginx-01", owner=admin_user)
    PortMappingFactory(container=container, container_port=80, internal_port=8080, external_ip="203.0.113.10",
                       external_port=8080)
    return container


def inline_post(container, rows):
    data = {
        "name": container.name, "server": container.server_id, "status": "running", "cpu_usage": 0,
        "memory_usage": 0, "sort_order": 0, "port_mappings-TOTAL_FORMS": len(rows),
        "port_mappings-INITIAL_FORMS": 0, "port_mappings-MIN_NUM_FORMS": 0, "port_mappings-MAX_NUM_FORMS": 256,
    }
    for i, row in enumerate(rows):
        data.update({f"port_mappings-{i}-{name}": value for name, value in
                     {"protocol": "tcp", "internal_ip": "", "description": "", **row}.items()})
    return data


def test_the_container_inline_shows_the_clash_on_the_row(admin_client, holder):
    other = ContainerFactory(server=holder.server, name="api-01")
    response = admin_client.post(reverse("admin:inventory_container_change", args=[other.pk]), inline_post(other, [
        {"container_port": 443, "internal_port": 8443, "external_ip": "203.0.113.10", "external_port": 8443},
        {"container_port": 80, "internal_port": 8081, "external_ip": "203.0.113.10", "external_port": 8080},
    ]))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.errors for form in formset.forms] == [{}, {"external_port": [TAKEN]}]
    assert not other.port_mappings.exists()


def test_the_inline_refuses_one_address_on_two_rows(admin_client, holder):
    other = ContainerFactory(server=holder.server, name="api-01")
    row = {"container_port": 443, "internal_port": 8443, "external_ip": "203.0.113.10", "external_port": 9443}
    response = admin_client.post(reverse("admin:inventory_container_change", args=[other.pk]),
                                 inline_post(other, [row, {**row, "container_port": 444}]))
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[1].errors == {"external_port": [
        "External address 203.0.113.10:9443/tcp is already used by another mapping of this container."]}


def test_the_mapping_page_shows_the_clash_on_external_port(admin_client, holder):
    other = ContainerFactory(server=holder.server, name="api-01")
    response = admin_client.post(reverse("admin:inventory_portmapping_add"), {
        "container": other.pk, "container_port": 80, "internal_port": 80, "external_ip": "203.0.113.10",
        "external_port": 8080, "protocol": "tcp"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"external_port": [TAKEN]}
    assert PortMapping.objects.count() == 1


def test_changing_a_mapping_to_its_own_address_is_fine(admin_client, holder):
    mapping = holder.port_mappings.get()
    response = admin_client.post(reverse("admin:inventory_portmapping_change", args=[mapping.pk]), {
        "container_port": 80, "internal_port": 8081, "external_ip": "203.0.113.10", "external_port": 8080,
        "protocol": "tcp"})
    assert response.status_code == 302
    mapping.refresh_from_db()
    assert mapping.internal_port == 8081


def test_the_list_searches_port_numbers_and_shows_server_and_datacenter(admin_client, holder):
    PortMappingFactory(container=ContainerFactory(server=holder.server, name="api-01"), container_port=22,
                       internal_port=20022)
    changelist = reverse("admin:inventory_portmapping_changelist")
    for term, found in [("8080", ["nginx-01"]), ("20022", ["api-01"]), ("22", ["api-01"]), ("web-01", ["api-01", "nginx-01"])]:
        response = admin_client.get(changelist, {"q": term})
        assert sorted(m.container.name for m in response.context["cl"].result_list) == found, term
    page = admin_client.get(changelist).content.decode()
    server, datacenter = holder.server, holder.server.datacenter
    server_url = reverse("admin:inventory_server_change", args=[server.pk])
    datacenter_url = reverse("admin:inventory_datacenter_change", args=[datacenter.pk])
    assert f'<td class="field-container__server"><a href="{server_url}">{server.label}</a></td>' in page
    assert f'<td class="field-container__server__datacenter"><a href="{datacenter_url}">{datacenter.name}</a></td>' in page
