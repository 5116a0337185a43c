"""GPU assign/release in the admin: changelist actions, per-GPU pages from a server's page,
assignment history on the GPU page. The rules themselves are the service's (tested there);
these tests check the admin reaches them and reports their answers."""
import re
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from audit.models import AuditLog
from inventory.models import GPU, GPUAssignment
from tests.factories import DatacenterFactory, GPUFactory, ServerFactory, UserFactory

CHANGELIST = "/admin/inventory/gpu/"


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def server():
    return ServerFactory(name="gpu-01", datacenter=DatacenterFactory(name="AMS1"))


@pytest.fixture
def free_gpus(server):
    return [GPUFactory(server=server, index=0), GPUFactory(server=server, index=1)]


def messages_of(response):
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def busy(gpu, user, by):
    """Put the GPU in use through the admin page (so through the service)."""
    client = Client()
    client.force_login(by)
    client.post(f"{CHANGELIST}{gpu.pk}/assign/", {"user": user.pk})
    gpu.refresh_from_db()
    assert gpu.assigned_to == user


def action(ids, name, **data):
    return {"action": name, "_selected_action": [str(i) for i in ids], **data}


@pytest.mark.django_db
class TestAssignAction:
    def test_first_post_shows_the_form_for_the_selection(self, admin_client, free_gpus):
        response = admin_client.post(CHANGELIST, action([g.pk for g in free_gpus], "assign_gpus"))

        assert response.status_code == 200
        html = response.content.decode()
        assert "<title>Assign GPUs | ITAM admin</title>" in html
        for gpu in free_gpus:
            assert f'<input type="hidden" name="_selected_action" value="{gpu.pk}">' in html
            assert f"NVIDIA A100 #{gpu.index} on gpu-01 (AMS1)</a>" in html
        assert '<input type="hidden" name="action" value="assign_gpus">' in html
        assert GPUAssignment.objects.count() == 0

    def test_apply_assigns_every_selected_gpu_through_the_service(self, admin_client, admin_user, free_gpus):
        bob = UserFactory(display_name="Bob")

        response = admin_client.post(CHANGELIST, action(
            [g.pk for g in free_gpus], "assign_gpus", apply="yes", user=bob.pk, purpose="LLM fine-tuning",
            expires_at_0="2099-01-31", expires_at_1="18:30:00",
        ))

        assert (response.status_code, response["Location"]) == (302, CHANGELIST)
        assert messages_of(response) == [
            ("success", "GPU assigned to Bob: NVIDIA A100 #0 on gpu-01 (AMS1), NVIDIA A100 #1 on gpu-01 (AMS1)."),
        ]
        for gpu in free_gpus:
            gpu.refresh_from_db()
            assert (gpu.status, gpu.assigned_to) == ("in_use", bob)
        rows = GPUAssignment.objects.order_by("gpu__index").values_list(
            "gpu_id", "user", "user_name", "assigned_by", "assigned_by_name", "purpose", "expires_at", "released_at")
        expiry = datetime(2099, 1, 31, 18, 30, tzinfo=dt_timezone.utc)
        assert list(rows) == [
            (g.pk, bob.pk, "Bob", admin_user.pk, "Administrator", "LLM fine-tuning", expiry, None) for g in free_gpus
        ]
        assert sorted(AuditLog.objects.filter(action="assign").values_list("resource_id", "username")) == [
            (g.pk, "admin") for g in free_gpus
        ]

    def test_a_gpu_that_is_not_free_is_reported_and_the_others_assigned(self, admin_client, admin_user, free_gpus):
        bob, carol = UserFactory(display_name="Bob"), UserFactory(display_name="Carol")
        taken, free = free_gpus
        busy(taken, carol, admin_user)

        response = admin_client.post(CHANGELIST, action([taken.pk, free.pk], "assign_gpus", apply="yes", user=bob.pk))

        assert response.status_code == 302
        assert messages_of(response) == [
            ("error", "NVIDIA A100 #0 on gpu-01 (AMS1): GPU is not available; release it first."),
            ("success", "GPU assigned to Bob: NVIDIA A100 #1 on gpu-01 (AMS1)."),
        ]
        taken.refresh_from_db()
        free.refresh_from_db()
        assert (taken.assigned_to, free.assigned_to) == (carol, bob)

    @pytest.mark.parametrize("data, field, error", [
        ({"user": ""}, "user", "This field is required."),
        ({"user": "999999"}, "user", "Select a valid choice. That choice is not one of the available choices."),
        ({"expires_at_0": "2001-01-01", "expires_at_1": "00:00"}, "expires_at", "Expiry must lie in the future."),
        ({"expires_at_0": "tomorrow", "expires_at_1": "noon"}, "expires_at", ["Enter a valid date.", "Enter a valid time."]),
        ({"purpose": "x" * 201}, "purpose", "Ensure this value has at most 200 characters (it has 201)."),
    ])
    def test_bad_input_shows_the_form_again_and_assigns_nothing(self, admin_client, free_gpus, data, field, error):
        bob = UserFactory()
        data = {"user": bob.pk, **data}

        response = admin_client.post(CHANGELIST, action([free_gpus[0].pk], "assign_gpus", apply="yes", **data))

        assert response.status_code == 200
        assert response.context["form"].errors == {field: error if isinstance(error, list) else [error]}
        assert '<p class="errornote">Please correct the errors below.</p>' in response.content.decode()
        assert GPUAssignment.objects.count() == 0
        assert not GPU.objects.exclude(status="free").exists()

    def test_inactive_users_cannot_be_chosen(self, admin_client, free_gpus):
        retired = UserFactory(is_active=False)

        response = admin_client.post(CHANGELIST, action([free_gpus[0].pk], "assign_gpus", apply="yes", user=retired.pk))

        assert response.context["form"].errors["user"] == [
            "Select a valid choice. That choice is not one of the available choices."
        ]


@pytest.mark.django_db
class TestReleaseAction:
    def test_releases_in_use_gpus_and_reports_free_ones(self, admin_client, admin_user, free_gpus):
        bob = UserFactory(display_name="Bob")
        held, free = free_gpus
        busy(held, bob, admin_user)

        response = admin_client.post(CHANGELIST, action([held.pk, free.pk], "release_gpus"))

        assert (response.status_code, response["Location"]) == (302, CHANGELIST)
        assert messages_of(response) == [
            ("error", "NVIDIA A100 #1 on gpu-01 (AMS1): GPU is already free."),
            ("success", "GPU released: NVIDIA A100 #0 on gpu-01 (AMS1)."),
        ]
        held.refresh_from_db()
        assert (held.status, held.assigned_to) == ("free", None)
        record = GPUAssignment.objects.get(gpu=held)
        assert (record.released_by, record.release_reason) == (admin_user, "manual")
        assert record.released_at is not None
        assert AuditLog.objects.filter(action="release", resource_id=held.pk).count() == 1

    def test_releases_a_gpu_in_error(self, admin_client, server):
        broken = GPUFactory(server=server, status="error")

        admin_client.post(CHANGELIST, action([broken.pk], "release_gpus"))

        broken.refresh_from_db()
        assert broken.status == "free"


@pytest.mark.django_db
class TestPerGPUPages:
    def test_server_page_links_each_gpu_to_assign_or_release(self, admin_client, admin_user, server, free_gpus):
        busy(free_gpus[1], UserFactory(display_name="Bob"), admin_user)
        back = f"/admin/inventory/server/{server.pk}/change/"

        html = admin_client.get(back).content.decode()

        assert f'<a class="button" href="{CHANGELIST}{free_gpus[0].pk}/assign/?next={back}">Assign…</a>' in html
        assert f'Bob <a class="button" href="{CHANGELIST}{free_gpus[1].pk}/release/?next={back}">Release…</a>' in html

    def test_assign_page_returns_to_the_server_page(self, admin_client, server, free_gpus):
        gpu, bob = free_gpus[0], UserFactory(display_name="Bob")
        back = f"/admin/inventory/server/{server.pk}/change/"
        url = f"{CHANGELIST}{gpu.pk}/assign/?next={back}"

        page = admin_client.get(url)
        assert page.status_code == 200
        assert '<input type="hidden" name="next" value="/admin/inventory/server/' in page.content.decode()

        response = admin_client.post(url, {"user": bob.pk, "purpose": "render", "next": back})

        assert (response.status_code, response["Location"]) == (302, back)
        assert messages_of(response) == [("success", "GPU assigned to Bob: NVIDIA A100 #0 on gpu-01 (AMS1).")]
        assert GPUAssignment.objects.get(gpu=gpu).purpose == "render"

    def test_a_foreign_next_url_is_ignored(self, admin_client, free_gpus):
        gpu = free_gpus[0]

        response = admin_client.post(f"{CHANGELIST}{gpu.pk}/assign/", {"user": UserFactory().pk, "next": "https://evil.example/"})

        assert response["Location"] == f"{CHANGELIST}{gpu.pk}/change/"

    @pytest.mark.parametrize("next_url", ["javascript:alert(1)", "//evil.example/x", "https://evil.example/"])
    def test_a_foreign_next_url_is_not_echoed_into_the_page(self, admin_client, free_gpus, next_url):
        html = admin_client.get(f"{CHANGELIST}{free_gpus[0].pk}/release/", {"next": next_url}).content.decode()

        assert 'name="next"' not in html
        assert "evil" not in html and "javascript:" not in html
        assert f'<a href="{CHANGELIST}" class="button cancel-link">Cancel</a>' in html

    def test_assign_page_of_a_taken_gpu_says_why(self, admin_client, admin_user, free_gpus):
        gpu = free_gpus[0]
        busy(gpu, UserFactory(), admin_user)

        response = admin_client.post(f"{CHANGELIST}{gpu.pk}/assign/", {"user": UserFactory().pk})

        assert response.status_code == 302
        assert messages_of(response) == [("error", "NVIDIA A100 #0 on gpu-01 (AMS1): GPU is not available; release it first.")]

    def test_release_page_with_a_reason(self, admin_client, admin_user, free_gpus):
        gpu = free_gpus[0]
        busy(gpu, UserFactory(), admin_user)
        url = f"{CHANGELIST}{gpu.pk}/release/"

        assert admin_client.get(url).status_code == 200
        response = admin_client.post(url, {"reason": "node maintenance"})

        assert response["Location"] == f"{CHANGELIST}{gpu.pk}/change/"
        assert GPUAssignment.objects.get(gpu=gpu).release_reason == "node maintenance"

    def test_release_reason_too_long(self, admin_client, admin_user, free_gpus):
        gpu = free_gpus[0]
        busy(gpu, UserFactory(), admin_user)

        response = admin_client.post(f"{CHANGELIST}{gpu.pk}/release/", {"reason": "r" * 201})

        assert response.status_code == 200
        assert response.context["form"].errors == {"reason": ["Ensure this value has at most 200 characters (it has 201)."]}
        gpu.refresh_from_db()
        assert gpu.status == "in_use"

    @pytest.mark.parametrize("suffix", ["assign", "release"])
    def test_unknown_gpu_is_404(self, admin_client, suffix):
        assert admin_client.get(f"{CHANGELIST}424242/{suffix}/").status_code == 404
        assert admin_client.get(f"{CHANGELIST}not-a-number/{suffix}/").status_code == 404

    @pytest.mark.parametrize("suffix", ["assign", "release"])
    def test_only_admins(self, normal_user, free_gpus, suffix):
        client = Client()
        client.force_login(normal_user)
        url = f"{CHANGELIST}{free_gpus[0].pk}/{suffix}/"
        assert client.post(url, {"user": normal_user.pk}).status_code == 403  # signed in, not an admin
        assert Client().post(url)["Location"] == f"/admin/login/?next={url}"
        assert GPUAssignment.objects.count() == 0

    def test_gpu_page_shows_the_assignment_history(self, admin_client, admin_user, free_gpus):
        gpu = free_gpus[0]
        busy(gpu, UserFactory(display_name="Bob"), admin_user)
        admin_client.post(f"{CHANGELIST}{gpu.pk}/release/", {"reason": "done"})
        busy(gpu, UserFactory(display_name="Carol"), admin_user)

        response = admin_client.get(f"{CHANGELIST}{gpu.pk}/change/")

        assert response.status_code == 200
        html = response.content.decode()
        assert re.search(r'<h2 id="assignments-heading" class="inline-heading">\s*Assignment history\s*</h2>', html)
        names = re.findall(r'<td class="field-user_name">\s*<p>(\w+)</p>', html)
        reasons = re.findall(r'<td class="field-release_reason">\s*<p>([\w-]+)</p>', html)
        assert (names, reasons) == (["Carol", "Bob"], ["-", "done"])  # newest first
        history = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "assignments")
        assert (history.has_add_permission, history.has_change_permission, history.has_delete_permission) == (
            False, False, False)
        assert 'name="assignments-0-DELETE"' not in html
        assert timezone.now() - GPUAssignment.objects.get(user_name="Bob").released_at < timedelta(minutes=1)
