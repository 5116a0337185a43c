"""GPU assignment rules (API.md §5): the one place that assigns and releases GPUs.

The API views, the admin actions, the importer and ``release_expired_gpus`` all call these
functions. Each runs in one transaction holding a row lock on the GPU, so concurrent
assigns of one GPU are serialised: the first wins, the others see it taken (422).
"""
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError

from audit.choices import Action
from audit.context import SYSTEM_USERNAME
from audit.recorder import audit_action
from itam.api.exceptions import Conflict

from ..choices import GPUStatus, ReleaseReason
from ..models import GPU, GPUAssignment

GPU_NOT_FOUND = "GPU not found."
USER_NOT_FOUND = "User not found."
USER_INACTIVE = "User is inactive and cannot be assigned a GPU."
GPU_NOT_AVAILABLE = "GPU is not available; release it first."
GPU_ALREADY_FREE = "GPU is already free."
EXPIRY_IN_PAST = "Expiry must lie in the future."


def _lock_gpu(gpu_id):
    """The GPU row, locked until the transaction ends (a no-op lock on SQLite, whose
    IMMEDIATE transactions already serialise writers)."""
    try:
        return GPU.objects.select_for_update().get(pk=gpu_id)
    except GPU.DoesNotExist:
        raise NotFound(GPU_NOT_FOUND) from None


def recorded_name(user):
    """The name an assignment records for a user (kept when the user is deleted)."""
    return user.display_name or user.username if user is not None else SYSTEM_USERNAME


def assign_gpu(gpu_id, user_id, *, by, purpose=None, expires_at=None):
    """Give a free GPU to an active user and open an assignment record. Returns the GPU.

    Raises NotFound (GPU or user unknown), ValidationError (expiry not in the future) or
    Conflict (user inactive, GPU not free).
    """
    now = timezone.now()
    with transaction.atomic(), audit_action(Action.ASSIGN):
        gpu = _lock_gpu(gpu_id)
        if expires_at is not None and expires_at <= now:
            raise ValidationError({"expires_at": [EXPIRY_IN_PAST]})
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is None:
            raise NotFound(USER_NOT_FOUND)
        if not user.is_active:
            raise Conflict(USER_INACTIVE)
        if not gpu.is_available:
            raise Conflict(GPU_NOT_AVAILABLE)
        gpu.status, gpu.assigned_to = GPUStatus.IN_USE, user
        gpu.save(update_fields=["status", "assigned_to", "updated_at"])
        GPUAssignment.objects.create(
            gpu=gpu, user=user, user_name=recorded_name(user), assigned_by=by, assigned_by_name=recorded_name(by),
            purpose=purpose or None, assigned_at=now, expires_at=expires_at,
        )
    return gpu


def _release_locked(gpu, *, by, reason, now):
    gpu.status, gpu.assigned_to = GPUStatus.FREE, None
    gpu.save(update_fields=["status", "assigned_to", "updated_at"])
    for assignment in GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True):
        assignment.released_at, assignment.released_by, assignment.release_reason = now, by, reason
        assignment.save(update_fields=["released_at", "released_by", "release_reason"])


def release_gpu(gpu_id, *, by=None, reason=ReleaseReason.MANUAL):
    """Free a GPU that is in use or in error and close its open assignment. Returns the GPU.

    Raises NotFound (GPU unknown) or Conflict (already free).
    """
    with transaction.atomic(), audit_action(Action.RELEASE):
        gpu = _lock_gpu(gpu_id)
        if gpu.status == GPUStatus.FREE:
            raise Conflict(GPU_ALREADY_FREE)
        _release_locked(gpu, by=by, reason=reason or ReleaseReason.MANUAL, now=timezone.now())
    return gpu


def release_expired_gpus(now=None):
    """Release every GPU whose open assignment expired by ``now``; returns the GPU ids.

    Idempotent: each GPU is re-checked under its lock, so a GPU released meanwhile (by an
    admin or a concurrent run) is left alone.
    """
    now = now or timezone.now()
    candidates = GPUAssignment.objects.filter(released_at__isnull=True, expires_at__lte=now)
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
