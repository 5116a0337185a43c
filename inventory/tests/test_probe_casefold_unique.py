"""Issue 19 §6: names compare case-insensitively the same way on SQLite and PostgreSQL, by
their casefolded form (SQLite's lower() folded only ASCII; PostgreSQL's missed final sigma)."""
import pytest

from inventory.models import Datacenter, Environment
from inventory.services.importing import import_workbook
from inventory.workbook import read_workbook
from tests.factories import DatacenterFactory, EnvironmentFactory

from .workbook_helpers import rows_for, upload, xlsx

pytestmark = pytest.mark.django_db

SAME_NAMES = [("Zürich-x", "ZÜRICH-x"), ("ΟΔΟΣ", "οδος"), ("Straße", "STRASSE"), ("Ǆemal", "ǆemal")]


@pytest.mark.parametrize("first, second", SAME_NAMES)
def test_datacenter_names_that_fold_alike_clash_through_the_api(admin_api, first, second):
    assert admin_api.post("/datacenters", {"name": first}).status_code == 201
    response = admin_api.post("/datacenters", {"name": second})
    assert response.status_code == 422, response.json()
    assert response.json()["errors"] == {"name": ["A datacenter with this name already exists."]}
    assert list(Datacenter.objects.values_list("name", flat=True)) == [first]


@pytest.mark.parametrize("first, second", SAME_NAMES)
def test_environment_names_that_fold_alike_clash(admin_api, first, second):
    assert admin_api.post("/environments", {"name": first, "code": "one"}).status_code == 201
    response = admin_api.post("/environments", {"name": second, "code": "two"})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["name"]


@pytest.mark.parametrize("first, second", SAME_NAMES)
def test_the_database_itself_refuses_names_that_fold_alike(first, second):
    """Without the service's check (a concurrent writer), the constraint decides, alike on both databases."""
    from django.db import IntegrityError, transaction

    Datacenter.objects.create(name=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Datacenter.objects.bulk_create([Datacenter(name=second)])
    assert Datacenter.objects.get().name_key == first.casefold()


def test_a_rename_keeps_the_key_current(admin_api):
    dc = DatacenterFactory(name="Köln")
    assert admin_api.put(f"/datacenters/{dc.id}", {"name": "Zürich"}).status_code == 200
    assert Datacenter.objects.get().name_key == "zürich"
    assert admin_api.post("/datacenters", {"name": "Köln"}).status_code == 201
    assert admin_api.post("/datacenters", {"name": "ZÜRICH"}).status_code == 422


def test_an_import_matches_names_that_fold_alike(admin_api):
    DatacenterFactory(name="Straße-1", location="old")
    response = upload(admin_api, xlsx({"Datacenters": rows_for("Datacenters", {"Name": "STRASSE-1", "Location": "new"})}),
                      overwrite="true")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["datacenters"]["updated"] == 1
    assert list(Datacenter.objects.values_list("name", "location")) == [("STRASSE-1", "new")]


def test_the_admin_refuses_names_that_fold_alike(client, admin_user):
    from django.urls import reverse

    Datacenter.objects.create(name="Straße")
    client.force_login(admin_user)
    response = client.post(reverse("admin:inventory_datacenter_add"),
                           {"name": "STRASSE", "location": "", "description": "", "is_active": "on"})
    assert response.status_code == 200 and "A datacenter with this name already exists." in response.content.decode()
    assert list(Datacenter.objects.values_list("name", flat=True)) == ["Straße"]
