"""The Reservations sheet of the workbook (docs/API-NOTES.md §7): bookings imported under the
rules of API.md §11.2, against the state the whole workbook leaves, all or nothing."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditLog
from inventory.models import GpuReservation
from inventory.services import importing
from inventory.services import reservations as reservation_service
from tests.factories import DatacenterFactory, GPUAssignmentFactory, GPUFactory, ServerFactory, UserFactory

from .workbook_helpers import read_xlsx, report, rows_for, upload, xlsx

pytestmark = pytest.mark.django_db

HOUR = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)


def at(hours):
    """A naive UTC datetime (a spreadsheet's date cell) ``hours`` after tomorrow's round hour."""
    return (HOUR + timedelta(hours=hours)).replace(tzinfo=None)


def aware(hours):
    return HOUR + timedelta(hours=hours)


@pytest.fixture
def gpu():
    server = ServerFactory(name="gpu-01", datacenter=DatacenterFactory(name="AMS1"))
    return GPUFactory(server=server, index=0, model="NVIDIA H100")


def booking(start, end, user="alice", **cells):
    return {"Datacenter": "AMS1", "Server": "gpu-01", "GPU Index": 0, "User": user,
            "Starts At (UTC)": at(start) if isinstance(start, (int, float)) else start,
            "Ends At (UTC)": at(end) if isinstance(end, (int, float)) else end, **cells}


def sheet(*records, **other_sheets):
    return xlsx({**other_sheets, "Reservations": rows_for("Reservations", *records)})


def imported(api, content, **fields):
    response = upload(api, content, **fields)
    return response.status_code, response.json()["data"]


def errors_of(data):
    return [(e["row"], e["column"], e["message"]) for e in data["reservations"]["errors"]]


def test_rows_are_booked_pending_and_audited_as_imports(admin_api, admin_user, normal_user, gpu):
    status, data = imported(admin_api, sheet(booking(0, 8, Purpose="training"), booking(8, 9, "ALICE")))
    assert (status, data["reservations"]) == (200, report(created=2))
    first, second = GpuReservation.objects.order_by("starts_at")
    assert (first.gpu_id, first.user_id, first.starts_at, first.ends_at, first.status, first.purpose) == (
        gpu.id, normal_user.id, aware(0), aware(8), "pending", "training")
    assert (second.starts_at, second.ends_at, second.purpose) == (aware(8), aware(9), None)
    entry = AuditLog.objects.get(resource_type="gpu_reservation", resource_id=first.id)
    assert (entry.action, entry.user_id, entry.changes["ends_at"]) == (
        "import", admin_user.id, {"old": None, "new": aware(8).isoformat()})
    assert admin_api.get(f"/gpu-reservations/{first.id}").json()["data"]["gpu_label"] == "NVIDIA H100 #0 on gpu-01 (AMS1)"


def test_iso_text_with_an_offset_is_read_as_that_moment_in_utc(admin_api, normal_user, gpu):
    start = (HOUR + timedelta(hours=2)).astimezone(timezone.get_fixed_timezone(120)).isoformat()
    status, _ = imported(admin_api, sheet(booking(start, (HOUR + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ"))))
    assert status == 200
    assert GpuReservation.objects.values_list("starts_at", "ends_at").get() == (aware(2), aware(5))


def test_overlapping_rows_of_the_sheet_are_refused_and_nothing_is_written(admin_api, normal_user, other_user, gpu):
    status, data = imported(admin_api, sheet(booking(0, 4), booking(8, 9), booking(3, 5, "bob")))
    assert status == 400
    assert errors_of(data) == [(4, "Starts At (UTC)", "Overlaps the reservation on row 2 of this sheet.")]
    assert (data["reservations"]["created"], data["reservations"]["skipped"]) == (2, 0)  # the error row is not counted
    assert not GpuReservation.objects.exists()


def test_an_overlap_with_a_booking_outside_the_sheet_names_it(admin_api, normal_user, other_user, gpu):
    theirs = GpuReservation.objects.create(gpu=gpu, user=other_user, starts_at=aware(2), ends_at=aware(6))
    status, data = imported(admin_api, sheet(booking(0, 3)))
    assert status == 400
    assert errors_of(data) == [(2, "Starts At (UTC)", (
        f"The GPU is already reserved by {other_user.display_name} from {aware(2).isoformat()} to "
        f"{aware(6).isoformat()} (reservation {theirs.id})."))]
    assert GpuReservation.objects.count() == 1


@pytest.mark.parametrize("start, end, message", [
    (3, 2, "ends_at must be after starts_at."),
    (-60, -30, "ends_at must lie in the future."),
    (0, 24 * 31, "A reservation may last at most 30 days."),
])
def test_window_rules_are_errors_on_ends_at(admin_api, normal_user, gpu, start, end, message):
    status, data = imported(admin_api, sheet(booking(start, end)))
    assert (status, errors_of(data)) == (400, [(2, "Ends At (UTC)", message)])


def test_the_rules_see_the_gpus_sheet_of_the_same_workbook(admin_api, normal_user, other_user, gpu):
    gpus = rows_for("GPUs", {"Datacenter": "AMS1", "Server": "gpu-01", "Index": 0, "Model": "NVIDIA H100",
                             "Memory (GB)": 80, "Assigned To": "bob"},
                    {"Datacenter": "AMS1", "Server": "gpu-01", "Index": 1, "Model": "NVIDIA H100",
                     "Memory (GB)": 80, "Status": "error"})
    content = sheet(booking(0, 2), booking(0, 2, "bob", **{"GPU Index": 1}), booking(3, 4, "bob"), GPUs=gpus)
    status, data = imported(admin_api, content, overwrite="true")
    assert status == 400
    assert errors_of(data) == [
        (2, "Starts At (UTC)", "The GPU is held by another user with no expiry."),
        (3, "GPU Index", "This GPU is in error and cannot be reserved."),
    ]  # row 4: bob holds the GPU the workbook assigns him, so his own booking is fine
    assert not GpuReservation.objects.exists()


def test_a_holder_with_an_expiry_blocks_only_until_it(admin_api, normal_user, other_user, gpu):
    GPUAssignmentFactory(gpu=gpu, user=other_user, expires_at=aware(2))
    status, data = imported(admin_api, sheet(booking(1, 3)))
    assert (status, errors_of(data)) == (
        400, [(2, "Starts At (UTC)", f"The GPU is held by another user until {aware(2).isoformat()}.")])
    status, data = imported(admin_api, sheet(booking(2, 3)))
    assert (status, data["reservations"]) == (200, report(created=1))


@pytest.mark.parametrize("cells, column, message", [
    ({"Server": "gpu-99"}, None, "Server 'gpu-99' does not exist in datacenter 'AMS1'."),
    ({"GPU Index": 7}, None, "GPU 7 does not exist on server 'gpu-01' in datacenter 'AMS1'."),
    ({"User": "nobody"}, "User", "User 'nobody' does not exist."),
    ({"User": "gone"}, "User", "User 'gone' is inactive."),
    ({"Starts At (UTC)": "next tuesday"}, "Starts At (UTC)",
     "Enter a date and time in UTC, e.g. 2026-12-07 09:00 (a date cell or ISO 8601 text)."),
    ({"Ends At (UTC)": "9999-12-31T23:00:00-05:00"}, "Ends At (UTC)",
     "Enter a date and time in UTC, e.g. 2026-12-07 09:00 (a date cell or ISO 8601 text)."),
    ({"Status": "cancelled"}, "Status", importing.STATUS_NOT_IMPORTED),
    ({"Status": "booked"}, "Status", '"booked" is not a valid choice.'),
    ({"GPU Index": "first"}, "GPU Index", "A valid integer is required."),
])
def test_bad_cells_are_row_errors(admin_api, normal_user, gpu, cells, column, message):
    UserFactory(username="gone", is_active=False)
    status, data = imported(admin_api, sheet(booking(0, 2, **cells)))
    assert (status, errors_of(data)) == (400, [(2, column, message)])
    assert not GpuReservation.objects.exists()


def test_existing_bookings_are_skipped_without_overwrite(admin_api, normal_user, gpu):
    GpuReservation.objects.create(gpu=gpu, user=normal_user, starts_at=aware(0), ends_at=aware(2))
    status, data = imported(admin_api, sheet(booking(0, 5, Purpose="longer")))
    assert (status, data["reservations"]) == (200, report(skipped=1))
    assert GpuReservation.objects.get().ends_at == aware(2)


def test_overwrite_changes_a_pending_booking_through_the_same_rules(admin_api, normal_user, other_user, gpu):
    mine = GpuReservation.objects.create(gpu=gpu, user=normal_user, starts_at=aware(0), ends_at=aware(6),
                                         purpose="old")
    # Row 2 books 4-5, the time row 3 frees by ending alice's booking at 4: the rules see the end state.
    content = sheet(booking(4, 5, "bob"), booking(0, 4, "alice", Purpose=None))
    status, data = imported(admin_api, content, overwrite="true")
    assert (status, data["reservations"]) == (200, report(created=1, updated=1)), data
    mine.refresh_from_db()
    assert (mine.ends_at, mine.purpose) == (aware(4), None)
    entry = AuditLog.objects.filter(resource_type="gpu_reservation", resource_id=mine.id).latest("id")
    assert (entry.action, entry.changes) == ("import", {
        "ends_at": {"old": aware(6).isoformat(), "new": aware(4).isoformat()},
        "purpose": {"old": "old", "new": None}})
    status, data = imported(admin_api, content, overwrite="true")
    assert (status, data["reservations"]) == (200, report(skipped=2))


def test_an_active_booking_cannot_be_changed_only_left_as_it_is(admin_api, normal_user, gpu):
    GpuReservation.objects.create(gpu=gpu, user=normal_user, starts_at=aware(-25), ends_at=aware(2), status="active")
    status, data = imported(admin_api, sheet(booking(-25, 2, Status="active")), overwrite="true")
    assert (status, data["reservations"]) == (200, report(skipped=1))
    status, data = imported(admin_api, sheet(booking(-25, 3)), overwrite="true")
    assert (status, errors_of(data)) == (400, [(2, None, reservation_service.ONLY_PENDING)])


def test_a_dry_run_reports_the_rules_as_a_real_import(admin_api, normal_user, gpu):
    content = sheet(booking(0, 4), booking(3, 5))
    dry = imported(admin_api, content, dry_run="true")
    real = imported(admin_api, content)
    assert dry[0] == real[0] == 400
    assert errors_of(dry[1]) == errors_of(real[1]) == [(3, "Starts At (UTC)", "Overlaps the reservation on row 2 of this sheet.")]


def test_a_booking_made_while_the_import_runs_is_seen_not_doubled(admin_api, admin_user, other_user, normal_user, gpu,
                                                                 monkeypatch):
    """Someone books the GPU between the check and the write: the write finds the state changed
    and checks the workbook again, which now reports the overlap (nothing is written)."""
    check = importing.ReservationImporter.check_bookings
    calls = []

    def booked_meanwhile(self):
        if not calls:
            reservation_service.book({"gpu": gpu, "starts_at": aware(1), "ends_at": aware(2)}, by=other_user,
                                     is_admin=False)
        calls.append(1)
        return check(self)

    monkeypatch.setattr(importing.ReservationImporter, "check_bookings", booked_meanwhile)
    status, data = imported(admin_api, sheet(booking(0, 4)))
    assert (status, len(calls)) == (400, 2)
    assert errors_of(data)[0][2].startswith(f"The GPU is already reserved by {other_user.display_name}")
    assert GpuReservation.objects.get().user_id == other_user.id


def test_export_holds_pending_and_active_bookings_in_natural_key_order(admin_api, normal_user, other_user, gpu):
    later = GpuReservation.objects.create(gpu=gpu, user=other_user, starts_at=aware(5), ends_at=aware(6))
    GpuReservation.objects.create(gpu=gpu, user=normal_user, starts_at=aware(1), ends_at=aware(2), purpose="a")
    GpuReservation.objects.create(gpu=gpu, user=normal_user, starts_at=aware(3), ends_at=aware(4), status="completed")
    response = admin_api.get("/import-export/export", {"type": "reservations", "user_id": other_user.id})
    assert response.status_code == 200
    assert read_xlsx(response.content)["Reservations"][1:] == [
        ["AMS1", "gpu-01", 0, "bob", at(5), at(6), None, "pending"]]
    book = read_xlsx(admin_api.get("/import-export/export", {"type": "reservations"}).content)
    assert [row[3:5] for row in book["Reservations"][1:]] == [["alice", at(1)], ["bob", at(5)]]
    scoped = read_xlsx(admin_api.get("/import-export/export", {"type": "all", "ids": str(gpu.server_id + 1)}).content)
    assert scoped["Reservations"] == [book["Reservations"][0]]  # another server's file: no bookings of this GPU
    assert later.status == "pending"


# --- the admin: the reservation list's sheet buttons and the workbook page's preview ---------

def test_the_reservation_list_exports_its_rows_and_the_preview_shows_each_booking(client, admin_user, normal_user,
                                                                                 other_user, gpu):
    GpuReservation.objects.create(gpu=gpu, user=normal_user, starts_at=aware(0), ends_at=aware(2), purpose="a")
    GpuReservation.objects.create(gpu=gpu, user=other_user, starts_at=aware(4), ends_at=aware(6))
    client.force_login(admin_user)
    changelist = client.get("/admin/inventory/gpureservation/", {"q": "alice"}).content.decode()
    assert '<a href="/admin/inventory/gpureservation/export/?q=alice" class="export_link"' in changelist
    exported = read_xlsx(client.get("/admin/inventory/gpureservation/export/", {"q": "alice"}).content)
    assert exported["Reservations"][1:] == [["AMS1", "gpu-01", 0, "alice", at(0), at(2), "a", "pending"]]

    changed = sheet(booking(0, 3, Purpose="a"), booking(2, 3, "bob"), booking(8, 9, "bob"))
    preview = client.post("/admin/inventory/workbook/", {"file": SimpleUploadedFile("b.xlsx", changed), "overwrite": "on"})
    [reservations] = preview.context["sheets"]
    counts = reservations["report"]
    assert (reservations["title"], counts.created, counts.updated, len(counts.errors)) == ("Reservations", 1, 1, 1)
    assert [(row["number"], row["name"], row["outcome"], row["changes"], [e["message"] for e in row["errors"]])
            for row in reservations["rows"]] == [
        (2, f"AMS1 / gpu-01 / 0 / {at(0)}", "Updated", [("Ends At (UTC)", aware(2), aware(3))], []),
        (3, f"AMS1 / gpu-01 / 0 / {at(2)}", "Error", [], ["Overlaps the reservation on row 2 of this sheet."]),
        (4, f"AMS1 / gpu-01 / 0 / {at(8)}", "Created", [], []),
    ]
    assert GpuReservation.objects.get(user=normal_user).ends_at == aware(2)  # a preview writes nothing
