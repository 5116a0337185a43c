"""GPU reservations in the admin: booking through the service (its rules as form errors),
the list, cancelling as an action. The rules themselves are tested with the API."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditLog
from inventory.models import GpuReservation
from tests.factories import GPUFactory, GpuReservationFactory, UserFactory

pytestmark = pytest.mark.django_db
ADD = "/admin/inventory/gpureservation/add/"


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def form(gpu, user, start, end):
    starts, ends = timezone.now() + timedelta(hours=start), timezone.now() + timedelta(hours=end)
    return {"gpu": gpu.pk, "user": user.pk, "purpose": "demo",
            "starts_at_0": starts.strftime("%Y-%m-%d"), "starts_at_1": starts.strftime("%H:%M:%S"),
            "ends_at_0": ends.strftime("%Y-%m-%d"), "ends_at_1": ends.strftime("%H:%M:%S")}


def test_an_admin_books_through_the_service_and_sees_its_rules(admin_client, admin_user):
    gpu, user = GPUFactory(), UserFactory()
    response = admin_client.post(ADD, form(gpu, user, 1, 3))
    assert response.status_code == 302, response.content[:2000]
    booked = GpuReservation.objects.get()
    assert (booked.user, booked.status) == (user, "pending")
    assert AuditLog.objects.filter(resource_type="gpu_reservation", action="create", user_id=admin_user.id).exists()
    response = admin_client.post(ADD, form(gpu, UserFactory(), 2, 4))
    assert response.status_code == 200 and b"already reserved" in response.content
    assert GpuReservation.objects.count() == 1


def test_the_list_and_the_cancel_action(admin_client):
    booked = GpuReservationFactory()
    response = admin_client.get("/admin/inventory/gpureservation/", {"status": "pending"})
    assert response.status_code == 200 and booked.gpu.server.name.encode() in response.content
    admin_client.post("/admin/inventory/gpureservation/", {"action": "cancel_reservations",
                                                            "_selected_action": [booked.pk]})
    booked.refresh_from_db()
    assert booked.status == "cancelled"


def test_the_week_calendar_shows_bookings_and_links_free_slots_to_the_form(admin_client):
    booked = GpuReservationFactory(starts_at=timezone.now() + timedelta(hours=1))
    other = GPUFactory(server=booked.gpu.server, index=booked.gpu.index + 1)
    response = admin_client.get("/admin/inventory/reservations/calendar/", {"server": booked.gpu.server_id})
    page = response.content.decode()
    assert response.status_code == 200 and booked.gpu.label in page and other.label in page
    assert f"/admin/inventory/gpureservation/{booked.pk}/change/" in page
    assert f"/admin/inventory/gpureservation/add/?gpu={other.pk}&amp;starts_at=" in page
    assert admin_client.get("/admin/inventory/reservations/calendar/").status_code == 200


def test_the_extend_page_moves_the_expiry(admin_client):
    from tests.factories import GPUAssignmentFactory

    gpu = GPUFactory()
    GPUAssignmentFactory(gpu=gpu, user=UserFactory(), expires_at=timezone.now() + timedelta(hours=1))
    url = f"/admin/inventory/gpu/{gpu.pk}/extend/"
    assert admin_client.get(url).status_code == 200
    later = timezone.now() + timedelta(days=2)
    response = admin_client.post(url, {"expires_at_0": later.strftime("%Y-%m-%d"), "expires_at_1": "10:00:00"})
    assert response.status_code == 302
    assert gpu.assignments.get().expires_at.date() == later.date()
    past = {"expires_at_0": "2020-01-01", "expires_at_1": "10:00:00"}
    assert b"Expiry must lie in the future." in admin_client.post(url, past).content


def test_the_dashboard_shows_todays_reservations(admin_client):
    booked = GpuReservationFactory(starts_at=timezone.now().replace(hour=23, minute=0),
                                   ends_at=timezone.now().replace(hour=23, minute=30))
    page = admin_client.get("/admin/").content.decode()
    assert "reservations-today" in page and booked.gpu_label in page
