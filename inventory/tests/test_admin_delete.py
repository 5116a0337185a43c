"""A superuser deletes in the admin what an admin deletes through the API, with the API's
rules: a server or GPU goes with its GPUs and their assignment history (listed on Django's
confirmation page), a datacenter that still has servers stays (422 in the API)."""
import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from accounts.models import User
from inventory.models import GPU, Datacenter, GPUAssignment, Server
from inventory.services.gpu_assignment import assign_gpu, release_gpu
from itam.errors import Conflict
from itam.persistence import delete_unreferenced
from tests.factories import ContainerFactory, DatacenterFactory, GPUFactory, ServerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def server_with_gpu_history(admin_user):
    server = ServerFactory(name="gpu-box")
    held, used = GPUFactory(server=server, index=0), GPUFactory(server=server, index=1)
    assign_gpu(held.pk, UserFactory().pk, by=admin_user)  # open assignment
    assign_gpu(used.pk, UserFactory().pk, by=admin_user)
    release_gpu(used.pk, by=admin_user)  # closed assignment
    return server


def delete_url(obj):
    return reverse(f"admin:inventory_{obj._meta.model_name}_delete", args=[obj.pk])


def test_the_confirmation_lists_the_gpus_and_their_history(admin_client, server_with_gpu_history):
    page = admin_client.get(delete_url(server_with_gpu_history))
    assert page.status_code == 200
    assert not page.context["perms_lacking"] and not page.context["protected"]
    listed = str(page.context["deleted_objects"])
    assert listed.count("GPU assignment:") == 2 and listed.count("GPU:") == 2
    assert "doesn’t have permission" not in page.content.decode()


def test_a_superuser_deletes_a_server_with_gpu_history(admin_client, server_with_gpu_history):
    response = admin_client.post(delete_url(server_with_gpu_history), {"post": "yes"})
    assert response.status_code == 302
    assert not Server.objects.exists() and not GPU.objects.exists() and not GPUAssignment.objects.exists()


def test_a_superuser_deletes_a_held_gpu(admin_client, server_with_gpu_history):
    gpu = GPU.objects.get(index=0)
    assert admin_client.post(delete_url(gpu), {"post": "yes"}).status_code == 302
    assert not GPU.objects.filter(pk=gpu.pk).exists() and not GPUAssignment.objects.filter(gpu_id=gpu.pk).exists()


def test_the_bulk_action_deletes_servers_with_gpu_history(admin_client, server_with_gpu_history):
    other = ServerFactory(name="plain")
    selected = {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [server_with_gpu_history.pk, other.pk]}
    changelist = reverse("admin:inventory_server_changelist")
    confirm = admin_client.post(changelist, selected)
    assert confirm.status_code == 200 and not confirm.context["perms_lacking"]
    assert "GPU assignment" in str(confirm.context["deletable_objects"])
    response = admin_client.post(changelist, {**selected, "post": "yes"})
    assert response.status_code == 302
    assert not Server.objects.exists() and not GPUAssignment.objects.exists()


def test_a_datacenter_with_servers_is_not_deleted(admin_client):
    server = ServerFactory()
    datacenter = server.datacenter
    page = admin_client.get(delete_url(datacenter))
    assert page.context["protected"]  # Django's page names the servers that stop it
    admin_client.post(delete_url(datacenter), {"post": "yes"})
    assert Datacenter.objects.filter(pk=datacenter.pk).exists()


def test_the_bulk_action_is_all_or_nothing_when_the_service_refuses(admin_client, admin_user):
    """Users: the API's rules (not yourself) refuse one of the selection, so none goes."""
    other = UserFactory()
    selected = {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [other.pk, admin_user.pk], "post": "yes"}
    response = admin_client.post(reverse("admin:accounts_user_changelist"), selected, follow=True)
    assert "Nothing was deleted: You cannot delete your own account." in response.content.decode()
    assert User.objects.filter(pk=other.pk).exists()


def test_the_user_delete_page_shows_the_services_refusal(admin_client, admin_user):
    response = admin_client.post(reverse("admin:accounts_user_delete", args=[admin_user.pk]), {"post": "yes"},
                                  follow=True)
    assert "Nothing was deleted: You cannot delete your own account." in response.content.decode()
    assert User.objects.filter(pk=admin_user.pk).exists()


# --- the service, without HTTP ---------------------------------------------------------------

def test_delete_unreferenced_takes_the_cascade(server_with_gpu_history):
    delete_unreferenced(server_with_gpu_history)
    assert not GPU.objects.exists() and not GPUAssignment.objects.exists()


def test_delete_unreferenced_refuses_protected_children_and_keeps_everything():
    datacenter = DatacenterFactory()
    ServerFactory.create_batch(2, datacenter=datacenter)
    with pytest.raises(Conflict, match=r"^This datacenter still has 2 servers; delete or move them first\.$"):
        delete_unreferenced(datacenter)
    assert Server.objects.count() == 2 and Datacenter.objects.filter(pk=datacenter.pk).exists()


def test_delete_unreferenced_names_a_users_protected_containers():
    owner = UserFactory()
    ContainerFactory(owner=owner)
    with pytest.raises(Conflict, match=r"still has 1 container;"):
        delete_unreferenced(owner)
