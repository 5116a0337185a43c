"""GPU assignment rules (API.md §5): the one module that assigns and releases GPUs, opens and
closes assignment records and decides a GPU's status from its holder.

The API views, the admin actions, ``release_expired_gpus``, the importer and seeding all go
through it: single GPUs with ``assign_gpu`` / ``release_gpu``, many at once with
``prepare_holders`` before the GPUs are written and ``write_holder_changes`` after (bulk
writes with history, no query per row).
Single writes run in one transaction holding a row lock on the GPU, so concurrent assigns of
one GPU are serialised: the first wins, the others see it taken (422).

The database agrees (``inventory.models.HOLDING_KEY_BASE``): a GPU's holder and its open
assignment share a key, so neither can change without the other.
"""
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from simple_history.utils import bulk_create_with_history

from audit.bulk import bulk_create_with_audit, bulk_update_with_audit, reserve_ids
from audit.choices import Action
from audit.context import SYSTEM_USERNAME
from audit.recorder import audit_action, extra_changes
from audit.registry import json_value
from itam.errors import Conflict, Forbidden, Invalid, NotFound

from ..choices import GPUStatus, ReleaseReason, ReservationStatus
from ..models import GPU, HOLDING_KEY_BASE, GPUAssignment, GpuReservation

GPU_NOT_FOUND = "GPU not found."
USER_NOT_FOUND = "User not found."
USER_INACTIVE = "User is inactive and cannot be assigned a GPU."
GPU_NOT_AVAILABLE = "GPU is not available; release it first."
GPU_ALREADY_FREE = "GPU is already free."
EXPIRY_IN_PAST = "Expiry must lie in the future."
HOLDER_NEEDS_IN_USE = "A GPU assigned to a user must have status in_use."
STATUS_LOCKED_BY_HOLDER = "This GPU is assigned to a user; release the GPU first."
NOT_IN_USE = "Only a GPU in use can be extended."
NOT_HOLDER = "Only the GPU's holder or an administrator may extend it."
NO_EXPIRY_ADMIN_ONLY = "Only an administrator may remove the expiry."
# What a GPU's holder decides; the rest of a GPU is descriptive (e.g. what a revert restores).
HOLDER_FIELDS = ("status", "assigned_to", "holding")


# --- the status rule -----------------------------------------------------------------------

def status_for(holder_id, requested=None, current=None):
    """The status a GPU gets with holder ``holder_id``: ``requested`` when given, else in_use
    for a held GPU and free otherwise (``current`` is kept when nothing else decides).
    Raises Invalid when a held GPU would not be in use."""
    status = requested or (GPUStatus.IN_USE if holder_id else current or GPUStatus.FREE)
    if holder_id and status != GPUStatus.IN_USE:
        raise Invalid(HOLDER_NEEDS_IN_USE, field="status")
    return status


def settable_statuses(gpu):
    """The statuses an edit of ``gpu`` may give it (the admin form's choices). A held GPU's
    status changes only by releasing it (see ``check_status_change``); one that nobody holds
    is free or in error, and goes in use by being assigned. A status it already has stays
    choosable."""
    if gpu is not None and gpu.assigned_to_id is not None:
        return (gpu.status,)
    allowed = (GPUStatus.FREE, GPUStatus.ERROR)
    current = gpu.status if gpu is not None and gpu.pk is not None else None
    return allowed if current in (None, *allowed) else (*allowed, current)


def check_status_change(gpu, status):
    """A held GPU's status changes only by releasing it (Conflict otherwise)."""
    if gpu.assigned_to_id is not None and status is not None and status != gpu.status:
        raise Conflict(STATUS_LOCKED_BY_HOLDER)


# --- holding keys (in memory; the callers write) -------------------------------------------

def holding_key(gpu_id, user_id):
    return gpu_id * HOLDING_KEY_BASE + user_id


def set_holder(gpu, user):
    """Give ``gpu`` to ``user`` or, with None, to nobody: holder, status and (once the GPU
    has its id; see ``prepare_holders``) the key, together."""
    gpu.assigned_to = user
    gpu.status = GPUStatus.IN_USE if user is not None else GPUStatus.FREE
    gpu.holding_id = holding_key(gpu.pk, user.pk) if user is not None and gpu.pk is not None else None


def new_assignment(gpu, user, *, by, assigned_at, purpose=None, expires_at=None, by_name=None):
    """An open assignment of ``gpu`` to ``user`` (unsaved), keyed as ``set_holder`` keys the GPU."""
    assignment = GPUAssignment(
        gpu=gpu, user=user, user_name=recorded_name(user), assigned_by=by,
        assigned_by_name=by_name or recorded_name(by), purpose=purpose or None, assigned_at=assigned_at,
        expires_at=expires_at,
    )
    if gpu.pk is not None:
        _key_open(assignment)
    return assignment


def _key_open(assignment):
    assignment.open_key = assignment.gpu_holding_id = holding_key(assignment.gpu.pk, assignment.user.pk)


def past_assignment(gpu, user, *, by_name, assigned_at, released_at, **fields):
    """A closed assignment (history, e.g. demo data): no key, it holds nothing."""
    return GPUAssignment(gpu=gpu, user=user, user_name=recorded_name(user), assigned_by_name=by_name,
                         assigned_at=assigned_at, released_at=released_at, **fields)


def close_assignment(assignment, *, by, reason, at):
    assignment.released_at, assignment.released_by, assignment.release_reason = at, by, reason
    assignment.open_key = assignment.gpu_holding_id = None


CLOSING_FIELDS = ["released_at", "released_by", "release_reason", "open_key", "gpu_holding"]


def recorded_name(user):
    """The name an assignment records for a user (kept when the user is deleted)."""
    return user.display_name or user.username if user is not None else SYSTEM_USERNAME


# --- one GPU -----------------------------------------------------------------------------

def lock_gpu(gpu_id):
    """The GPU row, locked until the transaction ends (a no-op lock on SQLite, whose
    IMMEDIATE transactions already serialise writers)."""
    try:
        return GPU.objects.select_for_update().get(pk=gpu_id)
    except (GPU.DoesNotExist, ValueError, TypeError):
        raise NotFound(GPU_NOT_FOUND) from None


def assign_gpu(gpu_id, user_id, *, by, purpose=None, expires_at=None):
    """Give a free GPU to an active user and open an assignment record. Returns the GPU.

    Raises NotFound (GPU or user unknown), Invalid (expiry not in the future) or
    Conflict (user inactive, GPU not free).
    """
    now = timezone.now()
    with transaction.atomic(), audit_action(Action.ASSIGN):
        gpu = lock_gpu(gpu_id)
        if expires_at is not None and expires_at <= now:
            raise Invalid(EXPIRY_IN_PAST, field="expires_at")
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is None:
            raise NotFound(USER_NOT_FOUND)
        if not user.is_active:
            raise Conflict(USER_INACTIVE)
        if not gpu.is_available:
            raise Conflict(GPU_NOT_AVAILABLE)
        set_holder(gpu, user)
        gpu.save(update_fields=[*HOLDER_FIELDS, "updated_at"])
        new_assignment(gpu, user, by=by, purpose=purpose, assigned_at=now, expires_at=expires_at).save()
    return gpu


def _release_locked(gpu, *, by, reason, now):
    for assignment in GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True):
        close_assignment(assignment, by=by, reason=reason, at=now)
        assignment.save(update_fields=CLOSING_FIELDS)
    set_holder(gpu, None)
    gpu.save(update_fields=[*HOLDER_FIELDS, "updated_at"])


def release_gpu(gpu_id, *, by=None, reason=ReleaseReason.MANUAL):
    """Free a GPU that is in use or in error and close its open assignment. Returns the GPU.

    Raises NotFound (GPU unknown) or Conflict (already free).
    """
    with transaction.atomic(), audit_action(Action.RELEASE):
        gpu = lock_gpu(gpu_id)
        if gpu.status == GPUStatus.FREE:
            raise Conflict(GPU_ALREADY_FREE)
        _release_locked(gpu, by=by, reason=reason or ReleaseReason.MANUAL, now=timezone.now())
    return gpu


def open_assignment(gpu):
    return GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True).first()


def extend_gpu(gpu_id, expires_at, *, by, by_admin):
    """Move the expiry of a held GPU's open assignment (API.md §11.1): an ``update`` of the
    GPU whose audit entry shows ``expires_at``. ``None`` (no expiry) is for admins only.

    Raises NotFound, Forbidden (neither holder nor admin), Conflict (not in use; the new
    window reaches into another user's pending reservation, named under ``expires_at``) or
    Invalid (expiry not in the future)."""
    now = timezone.now()
    with transaction.atomic():
        gpu = lock_gpu(gpu_id)
        check_may_extend(gpu, by, by_admin=by_admin)
        if expires_at is None and not by_admin:
            raise Forbidden(NO_EXPIRY_ADMIN_ONLY)
        if expires_at is not None and expires_at <= now:
            raise Invalid(EXPIRY_IN_PAST, field="expires_at")
        if gpu.status != GPUStatus.IN_USE:
            raise Conflict(NOT_IN_USE)
        blocking = _reservation_in_the_way(gpu, expires_at, now)
        if blocking is not None:
            raise Conflict(
                f"The GPU is reserved by {blocking.user.display_name} from {json_value(blocking.starts_at)} "
                f"(reservation {blocking.pk}).", field="expires_at",
            )
        assignment = open_assignment(gpu)
        if assignment is not None and assignment.expires_at != expires_at:
            change = {"expires_at": {"old": json_value(assignment.expires_at), "new": json_value(expires_at)}}
            assignment.expires_at = expires_at
            assignment.save(update_fields=["expires_at"])
            with extra_changes([(gpu, change)]):
                gpu.save(update_fields=["updated_at"])
    return gpu


def check_may_extend(gpu, user, *, by_admin):
    """Only the holder or an admin extends a GPU (Forbidden)."""
    if not by_admin and (gpu.assigned_to_id is None or gpu.assigned_to_id != getattr(user, "pk", None)):
        raise Forbidden(NOT_HOLDER)


def _reservation_in_the_way(gpu, expires_at, now):
    """Another user's pending reservation that a hold until ``expires_at`` (None: forever) overlaps."""
    pending = GpuReservation.objects.filter(gpu=gpu, status=ReservationStatus.PENDING, ends_at__gt=now).exclude(
        user_id=gpu.assigned_to_id)
    if expires_at is not None:
        pending = pending.filter(starts_at__lt=expires_at)
    return pending.select_related("user").order_by("starts_at", "id").first()


def release_expired_gpus(now=None):
    """Release every GPU whose open assignment expired by ``now``; returns the GPU ids.

    Idempotent: each GPU is re-checked under its lock, so a GPU released meanwhile (by an
    admin or a concurrent run) is left alone. An assignment that ends with its reservation
    is the reservation job's to release (reason "reservation ended").
    """
    now = now or timezone.now()
    ends_with_reservation = GpuReservation.objects.filter(
        gpu_id=OuterRef("gpu_id"), user_id=OuterRef("user_id"), status=ReservationStatus.ACTIVE,
        ends_at=OuterRef("expires_at"),
    )
    candidates = GPUAssignment.objects.filter(released_at__isnull=True, expires_at__lte=now).exclude(
        Exists(ends_with_reservation))
    released = []
    for gpu_id in candidates.order_by("gpu_id").values_list("gpu_id", flat=True).distinct():
        with transaction.atomic(), audit_action(Action.RELEASE):
            gpu = GPU.objects.select_for_update().filter(pk=gpu_id).first()
            still_expired = candidates.filter(gpu_id=gpu_id).exists()
            if gpu is None or not still_expired:
                continue
            _release_locked(gpu, by=None, reason=ReleaseReason.EXPIRED, now=now)
            released.append(gpu_id)
    return released


# --- many GPUs (imports, seeding) -------------------------------------------------------------

def prepare_holders(gpus, open_assignments=()):
    """Before ``gpus`` are written in bulk: give the unsaved ones their ids now (in order, the
    ids the database would give them) and key each GPU's holder and each of the
    ``open_assignments`` made for them by ``new_assignment``."""
    reserve_ids(GPU, gpus)
    for gpu in gpus:
        gpu.holding_id = holding_key(gpu.pk, gpu.assigned_to_id) if gpu.assigned_to_id is not None else None
    for assignment in open_assignments:
        _key_open(assignment)


def write_holder_changes(changes, *, by, at, reason=ReleaseReason.IMPORT, history_user=None):
    """After the GPUs of ``changes`` (``[(gpu, new holder or None)]``) are written: close the
    open assignment of each and open one for each new holder, in bulk with history."""
    closing = []
    gpu_ids = [gpu.pk for gpu, _ in changes]
    for start in range(0, len(gpu_ids), 500):
        closing += GPUAssignment.objects.filter(gpu_id__in=gpu_ids[start:start + 500], released_at__isnull=True)
    for assignment in closing:
        close_assignment(assignment, by=by, reason=reason, at=at)
        assignment._history_user = history_user
    if closing:
        bulk_update_with_audit(GPUAssignment, closing, CLOSING_FIELDS)
    by_name = recorded_name(by)
    opening = [new_assignment(gpu, holder, by=by, by_name=by_name, assigned_at=at)
               for gpu, holder in changes if holder is not None]
    for assignment in opening:
        assignment._history_user = history_user
    if opening:
        bulk_create_with_audit(GPUAssignment, opening)


def write_assignment_history(assignments):
    """Assignments made by ``past_assignment`` / ``new_assignment`` for GPUs prepared by
    ``prepare_holders`` (seeding): history only, like every GPU assignment."""
    return bulk_create_with_history(assignments, GPUAssignment, batch_size=1000)
