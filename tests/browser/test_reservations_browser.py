"""GPU reservations in a real Chromium: the week calendar, booking a free slot from it, and
extending a held GPU from the dashboard. Screenshots in var/screenshots/."""
import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import GPUAssignment, GpuReservation
from tests.factories import DatacenterFactory, GPUAssignmentFactory, GPUFactory, GpuReservationFactory, ServerFactory


def test_book_a_free_slot_from_the_week_calendar(admin_page, ops_admin, screenshot):
    page = admin_page
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="AMS1"))
    booked_gpu = GPUFactory(server=server, index=0, model="NVIDIA H100")
    free_gpu = GPUFactory(server=server, index=1, model="NVIDIA H100")
    GpuReservationFactory(gpu=booked_gpu, starts_at=timezone.now() + timedelta(hours=1))

    page.goto(f"/admin/inventory/reservations/calendar/?server={server.pk}")
    calendar = page.locator("#reservation-calendar")
    expect(calendar).to_contain_text("NVIDIA H100 #0 on web-01 (AMS1)")
    expect(calendar.locator(f'tr[data-gpu="{booked_gpu.pk}"] td.booked').first).to_be_visible()
    screenshot(page, "calendar")

    calendar.locator(f'tr[data-gpu="{free_gpu.pk}"] td.free a').first.click()
    expect(page).to_have_url(re.compile(r"/admin/inventory/gpureservation/add/\?gpu="))
    expect(page.locator("#id_starts_at_0")).not_to_have_value("")
    page.fill("#id_purpose", "fine-tuning")
    screenshot(page, "booking-form")
    page.locator('input[name="_save"]').click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    reservation = GpuReservation.objects.get(gpu=free_gpu)
    assert (reservation.user_id, reservation.status, reservation.purpose) == (ops_admin.pk, "pending", "fine-tuning")


def test_extend_a_held_gpu_from_the_dashboard(admin_page, screenshot):
    page = admin_page
    gpu = GPUFactory(server=ServerFactory(name="gpu-02"), model="NVIDIA A100")
    GPUAssignmentFactory(gpu=gpu, expires_at=timezone.now() + timedelta(hours=5))
    page.goto("/admin/")
    page.locator("#expiring-assignments a.itam-extend").first.click()
    expect(page.locator("h1")).to_have_text("Extend GPU")
    later = timezone.now() + timedelta(days=3)
    page.fill("#id_expires_at_0", later.strftime("%Y-%m-%d"))
    page.fill("#id_expires_at_1", "12:00:00")
    screenshot(page, "extend-form")
    page.locator('input[type="submit"][value="Extend"]').click()
    expect(page.locator(".messagelist")).to_contain_text("extended")
    assert GPUAssignment.objects.get(gpu=gpu).expires_at.date() == later.date()
