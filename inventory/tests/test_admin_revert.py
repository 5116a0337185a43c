"""Reverting in the admin (simple-history's ``history/<version>/`` form) obeys the rules the
API obeys: a GPU's holder and status are never reverted, and a version the rules would refuse
is shown as form errors, never saved and never a 500."""
import pytest
from django.db import connection
from django.urls import reverse

from inventory.models import GPU, Datacenter, GPUAssignment, Server
from inventory.services.gpu_assignment import assign_gpu, release_gpu
from tests.factories import DatacenterFactory, GPUFactory, ServerFactory, UserFactory

pytestmark = pytest.mark.django_db


def revert_url(obj, version):
    return reverse(f"admin:inventory_{obj._meta.model_name}_simple_history", args=[obj.pk, version.history_id])


def revert(client, obj, version):
    """GET the revert page, then POST its form as shown (what pressing Revert does)."""
    page = client.get(revert_url(obj, version))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    return page, client.post(revert_url(obj, version), data)


def in_step(gpu):
    """The GPU's holder and status agree with its open assignment (and the database agrees)."""
    gpu.refresh_from_db()
    connection.check_constraints()
    open_users = list(GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True).values_list("user_id", flat=True))
    assert open_users == ([gpu.assigned_to_id] if gpu.assigned_to_id else [])
    assert (gpu.status == "in_use") == (gpu.assigned_to_id is not None) or gpu.status == "error"
    return gpu


def test_reverting_to_before_the_assignment_keeps_the_holder_then_release_and_assign_work(admin_client, admin_user):
    gpu = GPUFactory(model="NVIDIA A100", description="spare")
    before = gpu.history.earliest()
    bob, carol = UserFactory(), UserFactory()
    assign_gpu(gpu.pk, bob.pk, by=admin_user)
    GPU.objects.filter(pk=gpu.pk).update(description="training box")
    in_step(gpu)

    page, response = revert(admin_client, gpu, before)
    assert "status and who holds it stay as they are" in page.content.decode()
    assert response.status_code == 302, response.context["adminform"].form.errors
    gpu = in_step(gpu)
    assert (gpu.description, gpu.status, gpu.assigned_to) == ("spare", "in_use", bob)

    release_gpu(gpu.pk, by=admin_user)
    in_step(gpu)
    # Assigning again (the request that used to fail with a 500): through the admin's assign page.
    response = admin_client.post(reverse("admin:inventory_gpu_assign", args=[gpu.pk]), {"user": carol.pk})
    assert response.status_code == 302
    gpu = in_step(gpu)
    assert (gpu.status, gpu.assigned_to) == ("in_use", carol)


def test_reverting_a_released_gpu_to_its_assigned_version_leaves_it_free(admin_client, admin_user):
    gpu = GPUFactory()
    assign_gpu(gpu.pk, UserFactory().pk, by=admin_user)
    assigned_version = gpu.history.latest()
    release_gpu(gpu.pk, by=admin_user)

    _, response = revert(admin_client, gpu, assigned_version)
    assert response.status_code == 302
    gpu = in_step(gpu)
    assert (gpu.status, gpu.assigned_to_id) == ("free", None)


def test_the_revert_form_does_not_offer_the_status(admin_client, admin_user):
    gpu = GPUFactory()
    page = admin_client.get(revert_url(gpu, gpu.history.earliest()))
    assert "status" not in page.context["adminform"].form.fields


def test_a_revert_that_breaks_uniqueness_is_a_form_error(admin_client):
    dc = DatacenterFactory(name="north")
    old_name = dc.history.earliest()
    dc.name = "south"
    dc.save()
    DatacenterFactory(name="NORTH")  # the old name is taken since (case-insensitively)

    _, response = revert(admin_client, dc, old_name)
    assert response.status_code == 200
    assert "A datacenter with this name already exists." in str(response.context["adminform"].form.errors)
    dc.refresh_from_db()
    assert dc.name == "south"


def test_a_revert_to_a_deleted_parent_is_a_form_error(admin_client):
    server = ServerFactory()
    on_old_dc = server.history.earliest()
    old_dc = server.datacenter
    server.datacenter = DatacenterFactory()
    server.save()
    old_dc.delete()

    page = admin_client.get(revert_url(server, on_old_dc))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    response = admin_client.post(revert_url(server, on_old_dc), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Server.objects.get(pk=server.pk).datacenter_id != old_dc.pk
    assert not Datacenter.objects.filter(pk=old_dc.pk).exists()


def test_a_deleted_parent_behind_a_read_only_field_is_a_form_error(admin_client, admin_user):
    """A container's owner is read-only in the admin: the check still covers it."""
    from tests.factories import ContainerFactory

    gone = UserFactory()
    container = ContainerFactory(owner=gone)
    version = container.history.earliest()
    container.owner = admin_user
    container.save()
    gone.delete()

    _, response = revert(admin_client, container, version)
    assert response.status_code == 200
    assert "no longer exists" in str(response.context["adminform"].form.errors)
    container.refresh_from_db()
    assert container.owner == admin_user
