"""What the reservation jobs do every minute (API.md §11.2, §11.4): start due reservations,
end finished ones, remind holders before their GPU expires.

Each step looks for everything due by now (so it catches up after downtime) and handles one
reservation per transaction under its row lock, re-reading it there: a reservation another
worker is handling is skipped (``skip_locked``), one it handled is no longer due. Lock order
is reservation, then GPU, as in ``reservations``. GPUs change only through
``gpu_assignment``; the user hears about each outcome (``notifications``).
"""
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.registry import json_value

from ..choices import GPUStatus, ReleaseReason, ReservationStatus
from ..models import GPUAssignment, GpuReservation, ReminderSent
from . import gpu_assignment
from .notifications import notify
from .reservations import release_reserved_gpu, set_status

IN_ERROR = "The GPU was in error when the reservation started."
STILL_HELD = "The GPU was still held by {name} when the reservation started."
USER_INACTIVE = "The user was inactive when the reservation started."
MISSED = "The reservation's window passed before it could start."


def _due(queryset):
    """The ids to look at, oldest first (each is re-read under its lock)."""
    return list(queryset.order_by("starts_at", "id").values_list("pk", flat=True))


def _locked(pk, **still):
    """The reservation, locked, if it is still in the state ``still`` describes and no other
    worker holds it; else None."""
    return GpuReservation.objects.select_for_update(skip_locked=True).filter(pk=pk, **still).first()


# --- start --------------------------------------------------------------------------------

def start_due_reservations(now=None):
    """Start every pending reservation whose start has come; returns ``(started, failed)`` ids."""
    now = now or timezone.now()
    started, failed = [], []
    due = GpuReservation.objects.filter(status=ReservationStatus.PENDING, starts_at__lte=now)
    for pk in _due(due):
        with transaction.atomic():
            reservation = _locked(pk, status=ReservationStatus.PENDING, starts_at__lte=now)
            if reservation is None:
                continue
            reason = _start(reservation, now)
            if reason is None:
                started.append(pk)
            else:
                set_status(reservation, ReservationStatus.FAILED, reason)
                failed.append(pk)
            _tell_start(reservation, reason)
    return started, failed


def _start(reservation, now):
    """Assign the GPU for the reservation and mark it active; the failure reason otherwise."""
    if reservation.ends_at <= now:
        return MISSED
    user = reservation.user
    gpu = gpu_assignment.lock_gpu(reservation.gpu_id)
    if not user.is_active:
        return USER_INACTIVE
    if gpu.status == GPUStatus.ERROR:
        return IN_ERROR
    if gpu.assigned_to_id == user.pk:
        _hold_until(gpu, reservation.ends_at)  # the holder's own next booking: the hold goes on
    elif gpu.is_available:
        gpu_assignment.assign_gpu(gpu.pk, user.pk, by=None, purpose=reservation.purpose,
                                  expires_at=reservation.ends_at)
    else:
        holder = gpu.assigned_to.display_name if gpu.assigned_to_id else "a use outside ITAM"
        return STILL_HELD.format(name=holder)
    set_status(reservation, ReservationStatus.ACTIVE)
    return None


def _hold_until(gpu, ends_at):
    """The holder's assignment lasts at least until the reservation ends (a hold without
    expiry stays without)."""
    held = gpu_assignment.open_assignment(gpu)
    if held is not None and held.expires_at is not None and held.expires_at < ends_at:
        gpu_assignment.extend_gpu(gpu.pk, ends_at, by=None, by_admin=True)


def _tell_start(reservation, reason):
    label = reservation.gpu_label
    if reason is None:
        notify(reservation.user, f"Your reservation of {label} has started",
               f"{label} is yours until {json_value(reservation.ends_at)} (reservation {reservation.pk}).")
    else:
        notify(reservation.user, f"Your reservation of {label} failed", f"Reservation {reservation.pk}: {reason}")


# --- end ----------------------------------------------------------------------------------

def end_finished_reservations(now=None):
    """Complete every active reservation whose end has come, releasing its GPU (reason
    "reservation ended") unless the holder extended beyond it; returns the ids."""
    now = now or timezone.now()
    ended = []
    due = GpuReservation.objects.filter(status=ReservationStatus.ACTIVE, ends_at__lte=now)
    for pk in _due(due):
        with transaction.atomic():
            reservation = _locked(pk, status=ReservationStatus.ACTIVE, ends_at__lte=now)
            if reservation is None:
                continue
            if _ends_with_reservation(reservation):
                release_reserved_gpu(reservation, by=None, reason=ReleaseReason.RESERVATION_ENDED)
            set_status(reservation, ReservationStatus.COMPLETED)
            notify(reservation.user, f"Your reservation of {reservation.gpu_label} has ended",
                   f"Reservation {reservation.pk} ended at {json_value(reservation.ends_at)}.")
            ended.append(pk)
    return ended


def _ends_with_reservation(reservation):
    held = GPUAssignment.objects.filter(gpu_id=reservation.gpu_id, user_id=reservation.user_id,
                                        released_at__isnull=True).first()
    return held is not None and held.expires_at is not None and held.expires_at <= reservation.ends_at


# --- reminders ------------------------------------------------------------------------------

def send_expiry_reminders(now=None):
    """Tell each holder whose GPU expires within REMINDER_HOURS_BEFORE hours, once per expiry
    (a new expiry after an extension gets its own reminder). Returns the assignment ids."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.REMINDER_HOURS_BEFORE)
    expiring = GPUAssignment.objects.filter(released_at__isnull=True, expires_at__gt=now, expires_at__lte=horizon)
    reminded = []
    for assignment in expiring.select_related("gpu__server__datacenter", "user").order_by("expires_at", "id"):
        if assignment.user is None or not assignment.user.email:
            continue
        if not _first_time(f"expiry:{assignment.pk}:{json_value(assignment.expires_at)}"):
            continue
        label = assignment.gpu.label
        notify(assignment.user, f"{label} expires at {json_value(assignment.expires_at)}",
               f"Your hold on {label} ends at {json_value(assignment.expires_at)}. Extend it if you still need it.")
        reminded.append(assignment.pk)
    return reminded


def _first_time(key):
    """Record ``key``; False when some worker recorded it already (the unique key decides)."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(key=key)
    except IntegrityError:
        return False
    return True
