"""GPU reservations (API.md §11.2): book, edit and cancel, and the rules they share.

Every write locks the GPU row before it looks for overlaps, so two bookings of one GPU for
overlapping windows are serialised: the first wins, the second sees it (422). Lock order is
reservation, then GPU, everywhere (the edit and cancel paths lock the reservation first; the
jobs in ``reservation_jobs`` do the same), so concurrent writers never deadlock.

A reservation never changes a GPU itself: cancelling an active one releases the GPU through
``gpu_assignment``, as the start and end jobs assign and release through it.
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.registry import json_value
from itam.errors import Conflict, Forbidden, Invalid, NotFound

from ..choices import HOLDING_RESERVATION, GPUStatus, ReleaseReason, ReservationStatus
from ..models import GPUAssignment, GpuReservation
from . import gpu_assignment

NOT_FOUND = "GPU reservation not found."
ENDS_BEFORE_START = "ends_at must be after starts_at."
ENDS_IN_PAST = "ends_at must lie in the future."
GPU_IN_ERROR = "This GPU is in error and cannot be reserved."
ONLY_PENDING = "Only a pending reservation can be changed."
NOT_CANCELLABLE = "Only a pending or active reservation can be cancelled."
FOR_OTHERS_ADMIN_ONLY = "Only an administrator may book for another user."
NOT_OWNER = "Only the reservation's user or an administrator may change it."
USER_INACTIVE = "This user is inactive and cannot reserve a GPU."
GPU_REMOVED = "The GPU was deleted."
USER_DEACTIVATED = "The user was deactivated."
WINDOW_FIELDS = ("starts_at", "ends_at")


def max_window():
    return timedelta(days=settings.RESERVATION_MAX_DAYS)


def _lock_reservation(reservation_id):
    reservation = GpuReservation.objects.select_for_update().filter(pk=reservation_id).first()
    if reservation is None:
        raise NotFound(NOT_FOUND)
    return reservation


def may_change(reservation, user, *, is_admin):
    return is_admin or reservation.user_id == getattr(user, "pk", None)


# --- the rules ---------------------------------------------------------------------------

def check_window(starts_at, ends_at, now):
    if starts_at >= ends_at:
        raise Conflict(ENDS_BEFORE_START, field="ends_at")
    if ends_at <= now:
        raise Conflict(ENDS_IN_PAST, field="ends_at")
    if ends_at - starts_at > max_window():
        raise Conflict(f"A reservation may last at most {settings.RESERVATION_MAX_DAYS} days.", field="ends_at")


def overlapping(gpu_id, starts_at, ends_at):
    """Pending and active reservations of the GPU whose window overlaps ``[starts_at, ends_at)``."""
    return GpuReservation.objects.filter(
        gpu_id=gpu_id, status__in=HOLDING_RESERVATION, starts_at__lt=ends_at, ends_at__gt=starts_at,
    )


def windows_overlap(starts_at, ends_at, other_starts_at, other_ends_at):
    """Whether ``[starts_at, ends_at)`` and the other window overlap: ``overlapping`` in memory."""
    return starts_at < other_ends_at and ends_at > other_starts_at


def check_bookable(gpu, user, starts_at, ends_at, *, ignore=None):
    """The GPU (locked by the caller) can be promised to ``user`` for the window, else Conflict."""
    clash = overlapping(gpu.pk, starts_at, ends_at).exclude(pk=ignore).select_related("user").first()
    held_until = None
    if gpu.assigned_to_id not in (None, user.pk):
        held = GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True).first()
        held_until = held.expires_at if held is not None else None
    refuse_booking(gpu.status, gpu.assigned_to_id, held_until, clash, user.pk, starts_at)


def refuse_booking(gpu_status, holder_id, held_until, clash, user_id, starts_at):
    """The booking rules of §11.2 on what a caller found: the GPU's status, its holder and the
    open assignment's ``held_until`` (None: no expiry), and ``clash``, a pending or active
    reservation overlapping the window (or None). Raises the Conflict that refuses it.

    The API and admin read these under the GPU's lock (``check_bookable``); the workbook
    import from the state it plans to write."""
    if gpu_status == GPUStatus.ERROR:
        raise Conflict(GPU_IN_ERROR, field="gpu_id")
    if clash is not None:
        message = (f"The GPU is already reserved by {clash.user.display_name} from "
                   f"{json_value(clash.starts_at)} to {json_value(clash.ends_at)} (reservation {clash.pk}).")
        raise Conflict(message, errors={field: [message] for field in WINDOW_FIELDS})
    if holder_id is not None and holder_id != user_id and (held_until is None or starts_at < held_until):
        message = ("The GPU is held by another user " + ("with no expiry." if held_until is None else
                   f"until {json_value(held_until)}."))
        raise Conflict(message, errors={field: [message] for field in WINDOW_FIELDS})


def _booked_user(values, by, *, is_admin, current=None):
    user = values.get("user") or current or by
    if user.pk != by.pk and not is_admin:
        raise Forbidden(FOR_OTHERS_ADMIN_ONLY)
    if not user.is_active:
        raise Conflict(USER_INACTIVE, field="user_id")
    return user


def check_booking(gpu, user, starts_at, ends_at, *, ignore=None):
    """Every rule of a booking of ``gpu`` (locked by a writer; a form's pre-check reads it
    unlocked and the write checks again under the lock)."""
    check_window(starts_at, ends_at, timezone.now())
    check_bookable(gpu, user, starts_at, ends_at, ignore=ignore)


# --- writes ------------------------------------------------------------------------------

def book(values, *, by, is_admin):
    """A pending reservation of ``values["gpu"]`` for ``values["user"]`` (default: ``by``)."""
    with transaction.atomic():
        user = _booked_user(values, by, is_admin=is_admin)
        gpu = gpu_assignment.lock_gpu(values["gpu"].pk)
        starts_at, ends_at = values["starts_at"], values["ends_at"]
        check_booking(gpu, user, starts_at, ends_at)
        reservation = GpuReservation(gpu=gpu, user=user, starts_at=starts_at, ends_at=ends_at,
                                     purpose=values.get("purpose"))
        reservation.save()
    return reservation


def edit(reservation, values, *, by, is_admin):
    """Change a pending reservation (GPU, window, purpose, an admin: user) under the same rules."""
    with transaction.atomic():
        reservation = _lock_reservation(reservation.pk)
        if not may_change(reservation, by, is_admin=is_admin):
            raise Forbidden(NOT_OWNER)
        if reservation.status != ReservationStatus.PENDING:
            raise Conflict(ONLY_PENDING)
        user = _booked_user(values, by, is_admin=is_admin, current=reservation.user)
        gpu = gpu_assignment.lock_gpu(values["gpu"].pk if "gpu" in values else reservation.gpu_id)
        starts_at = values.get("starts_at", reservation.starts_at)
        ends_at = values.get("ends_at", reservation.ends_at)
        check_booking(gpu, user, starts_at, ends_at, ignore=reservation.pk)
        reservation.gpu, reservation.user, reservation.starts_at, reservation.ends_at = gpu, user, starts_at, ends_at
        if "purpose" in values:
            reservation.purpose = values["purpose"]
        reservation.save()
    return reservation


def cancel(reservation, *, by, is_admin, reason=None):
    """Cancel a pending or active reservation; an active one releases its GPU, as ``by``."""
    with transaction.atomic():
        reservation = _lock_reservation(reservation.pk)
        if not may_change(reservation, by, is_admin=is_admin):
            raise Forbidden(NOT_OWNER)
        if reservation.status not in HOLDING_RESERVATION:
            raise Conflict(NOT_CANCELLABLE)
        if reservation.status == ReservationStatus.ACTIVE:
            release_reserved_gpu(reservation, by=by, reason=ReleaseReason.RESERVATION_CANCELLED)
        set_status(reservation, ReservationStatus.CANCELLED, reason)
    return reservation


def release_reserved_gpu(reservation, *, by, reason):
    """Release the reservation's GPU if its user still holds it through the reservation (an
    admin may have released or reassigned it meanwhile)."""
    gpu = gpu_assignment.lock_gpu(reservation.gpu_id)
    if gpu.assigned_to_id == reservation.user_id:
        gpu_assignment.release_gpu(gpu.pk, by=by, reason=reason)


def set_status(reservation, status, reason=None):
    reservation.status, reservation.status_reason = status, reason
    reservation.save(update_fields=["status", "status_reason", "updated_at"])


# --- changes other writes cause -----------------------------------------------------------

def cancel_pending(reservations, reason):
    """Cancel the pending reservations among ``reservations`` (a queryset), each audited."""
    cancelled = []
    for reservation in reservations.filter(status=ReservationStatus.PENDING).select_for_update().order_by("pk"):
        set_status(reservation, ReservationStatus.CANCELLED, reason)
        cancelled.append(reservation)
    return cancelled


def cancel_for_deleted_gpus(gpu_filter):
    """Before GPUs go (a GPU or server delete): their pending reservations are cancelled."""
    return cancel_pending(GpuReservation.objects.filter(gpu_filter), GPU_REMOVED)


def cancel_for_deactivated_user(user):
    return cancel_pending(GpuReservation.objects.filter(user=user), USER_DEACTIVATED)


# --- availability (API.md §11.3) -----------------------------------------------------------

def free_gpus(gpus, starts_at, ends_at):
    """``gpus`` (a queryset) free for the whole window: not in error, no pending or active
    reservation overlapping it, no holder whose assignment reaches into it."""
    reserved = GpuReservation.objects.filter(
        status__in=HOLDING_RESERVATION, starts_at__lt=ends_at, ends_at__gt=starts_at).values("gpu_id")
    held_into_window = GPUAssignment.objects.filter(released_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=starts_at)).values("gpu_id")
    return gpus.exclude(status=GPUStatus.ERROR).exclude(pk__in=reserved).exclude(pk__in=held_into_window)

