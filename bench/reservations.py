"""GPU reservations at fleet scale (the benchmark fleet's 4,000 GPUs, 10,000 reservations):
booking throughput through the service and the cost of each minute job. Prints figures.

Everything it writes is rolled back at the end, so runs are repeatable on one database."""
import random
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

RESERVATIONS = 10_000
BOOKINGS = 300
DUE = 200


def _seed_reservations(gpus, users, now):
    """10,000 pending bookings spread over the GPUs: each GPU's in consecutive 4-hour windows
    from tomorrow on (test data written in bulk; the service books the measured ones)."""
    from inventory.models import GpuReservation

    rows = []
    for n in range(RESERVATIONS):
        gpu = gpus[n % len(gpus)]
        start = now + timedelta(days=1, hours=4 * (n // len(gpus)))
        rows.append(GpuReservation(gpu_id=gpu, user_id=users[n % len(users)], starts_at=start,
                                   ends_at=start + timedelta(hours=4), purpose="bench"))
    GpuReservation.objects.bulk_create(rows, batch_size=2000)


def _timed(label, call, rows):
    started = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - started
    done = len(result) if hasattr(result, "__len__") else result
    rows.append((label, done, elapsed))
    return result


def reservations_section():
    from accounts.models import User
    from audit.context import system_context
    from inventory.models import GPU, GPUAssignment, GpuReservation
    from inventory.services import reservation_jobs, reservations
    from inventory.services.gpu_assignment import release_expired_gpus

    rows = []
    with transaction.atomic(), system_context():
        now = timezone.now()
        gpus = list(GPU.objects.filter(status="free", assigned_to__isnull=True).values_list("pk", flat=True))
        users = list(User.objects.filter(is_active=True).values_list("pk", flat=True))
        _seed_reservations(gpus, users, now)
        total = GpuReservation.objects.count()
        admin = User.objects.filter(role="admin").first()
        rng = random.Random(1)

        def book_many():
            booked = []
            for n, pk in enumerate(rng.sample(gpus, BOOKINGS)):  # far-future windows, each GPU once: all succeed
                gpu = GPU.objects.get(pk=pk)
                start = now + timedelta(days=25, minutes=n)
                booked.append(reservations.book({"gpu": gpu, "starts_at": start, "ends_at": start + timedelta(hours=2)},
                                                 by=admin, is_admin=True))
            return booked

        booked = _timed(f"book {BOOKINGS} reservations (service, one transaction each)", book_many, rows)
        _timed("start job, nothing due", lambda: reservation_jobs.start_due_reservations()[0], rows)
        _timed("end job, nothing due", reservation_jobs.end_finished_reservations, rows)
        _timed("reminder job", reservation_jobs.send_expiry_reminders, rows)
        _timed("expiry job", release_expired_gpus, rows)
        due = GpuReservation.objects.filter(pk__in=[r.pk for r in booked[:DUE]])
        due.update(starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(minutes=30))
        started = _timed(f"start job, {DUE} due", lambda: reservation_jobs.start_due_reservations()[0], rows)
        _timed(f"end job, {len(started)} finished",
               lambda: reservation_jobs.end_finished_reservations(now + timedelta(hours=1)), rows)
        held = GPUAssignment.objects.filter(released_at__isnull=True).count()
        transaction.set_rollback(True)

    print(f"\n## GPU reservations ({len(gpus)} free GPUs, {total} reservations, {held} open assignments after "
          f"the start job; everything rolled back)\n")
    print("| step | rows | seconds | per row ms | rows/s |")
    print("|---|---|---|---|---|")
    for label, done, elapsed in rows:
        per = f"{elapsed * 1000 / done:.2f}" if done else "-"
        rate = f"{done / elapsed:.0f}" if done and elapsed else "-"
        print(f"| {label} | {done} | {elapsed:.3f} | {per} | {rate} |")
