"""The plain write services (``inventory.services.crud``) and owner = creator
(``inventory.services.ownership``), called directly: no HTTP, no forms."""
import pytest

from audit.context import ChangeContext, use_context
from audit.models import AuditLog
from inventory.models import Datacenter, Server, Service
from inventory.services import crud
from inventory.services.ownership import NO_CREATOR, claim_for_creator, is_owned
from itam.errors import Conflict, Invalid
from tests.factories import ContainerFactory, DatacenterFactory, ServerFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def acting(admin_user):
    with use_context(ChangeContext(user=admin_user, username=admin_user.username)):
        yield


# --- owner = creator --------------------------------------------------------------------------

def test_a_new_owned_object_belongs_to_its_creator(normal_user):
    service = Service(name="api", container=ContainerFactory())
    claim_for_creator(service, normal_user)
    assert service.owner == normal_user


def test_a_given_owner_or_a_stored_object_keeps_its_owner(normal_user, other_user):
    given = Service(name="api", container=ContainerFactory(), owner=other_user)
    claim_for_creator(given, normal_user)
    stored = ServiceFactory(owner=other_user)
    claim_for_creator(stored, normal_user)
    assert (given.owner, stored.owner) == (other_user, other_user)


def test_no_creator_to_default_to_is_invalid_on_owner():
    with pytest.raises(Invalid) as caught:
        claim_for_creator(Service(name="api", container=ContainerFactory()), None)
    assert caught.value.errors == {"owner": [NO_CREATOR]}


def test_only_containers_and_services_are_owned(normal_user):
    assert [is_owned(model) for model in (Datacenter, Server, Service)] == [False, False, True]
    datacenter = Datacenter(name="DC-9")
    claim_for_creator(datacenter, None)  # nothing to own: no error
    assert not hasattr(datacenter, "owner")


# --- create / update / delete -----------------------------------------------------------------

def test_create_saves_with_the_creator_as_owner(normal_user):
    container = ContainerFactory()
    service = crud.create(Service, {"name": "api", "container": container}, creator=normal_user)
    assert Service.objects.get(pk=service.pk).owner_id == normal_user.pk
    assert AuditLog.objects.get(resource_type="service").changes["owner_id"] == {"old": None, "new": normal_user.pk}


def test_create_of_a_duplicate_is_a_conflict_and_saves_nothing():
    DatacenterFactory(name="DC-1")
    with pytest.raises(Conflict) as caught:
        crud.create(Datacenter, {"name": "dc-1"})
    assert caught.value.errors == {"name": ["A datacenter with this name already exists."]}
    assert Datacenter.objects.count() == 1


def test_update_that_changes_nothing_saves_nothing():
    server = ServerFactory(os_type="Debian")
    before = (server.updated_at, server.history.count())
    crud.update(server, {"os_type": "Debian", "datacenter": server.datacenter})
    server.refresh_from_db()
    assert (server.updated_at, server.history.count()) == before
    assert not AuditLog.objects.filter(resource_type="server", action="update").exists()


def test_update_applies_and_saves():
    server = ServerFactory(os_type="Debian")
    crud.update(server, {"os_type": "Ubuntu"})
    assert Server.objects.get(pk=server.pk).os_type == "Ubuntu"
    assert AuditLog.objects.get(resource_type="server", action="update").changes == {
        "os_type": {"old": "Debian", "new": "Ubuntu"}}


def test_delete_of_a_referenced_object_is_a_conflict_naming_what_is_left():
    datacenter = DatacenterFactory()
    ServerFactory.create_batch(2, datacenter=datacenter)
    with pytest.raises(Conflict, match="^This datacenter still has 2 servers; delete or move them first.$"):
        crud.delete(datacenter)
    assert Datacenter.objects.filter(pk=datacenter.pk).exists()
    assert not AuditLog.objects.filter(resource_type="datacenter", action="delete").exists()


def test_resource_writes_one_model():
    writes = crud.Resource(Datacenter)
    datacenter = writes.create({"name": "DC-2"})
    writes.update(datacenter, {"location": "Hall 1"})
    assert Datacenter.objects.get(pk=datacenter.pk).location == "Hall 1"
    writes.delete(datacenter)
    assert not Datacenter.objects.exists()
    entries = AuditLog.objects.filter(resource_type="datacenter").order_by("id")
    assert list(entries.values_list("action", flat=True)) == ["create", "update", "delete"]


def test_serializers_validate_only():
    from inventory.api.serializers import DatacenterSerializer

    serializer = DatacenterSerializer(data={"name": "DC-3"})
    assert serializer.is_valid()
    with pytest.raises(NotImplementedError):
        serializer.save()
    assert not Datacenter.objects.exists()
