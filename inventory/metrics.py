"""The inventory's gauges at /metrics (itam/metrics.py): five queries per scrape, whatever
the fleet size."""
from datetime import timedelta

from django.db.models import Count, F, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from itam.metrics import gauges

from .choices import ReservationStatus
from .models import GPU, Container, GPUAssignment, GpuReservation, Server


def _by(name, documentation, labels, rows, columns=None):
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for row in rows:
        family.add_metric([str(row[column] or "") for column in columns or labels], row["count"])
    return family


@gauges
def inventory_gauges():
    servers = Server.objects.values("status", datacenter_name=F("datacenter__name")).annotate(
        count=Count("id")).order_by("datacenter_name", "status")
    containers = Container.objects.values("status").annotate(count=Count("id")).order_by("status")
    gpus = GPU.objects.values("status").annotate(count=Count("id")).order_by("status")
    soon = timezone.now() + timedelta(hours=24)
    assignments = GPUAssignment.objects.filter(released_at__isnull=True).aggregate(
        open=Count("id"), expiring=Count("id", filter=Q(expires_at__lte=soon)))
    reservations = GpuReservation.objects.aggregate(
        pending=Count("id", filter=Q(status=ReservationStatus.PENDING)),
        active=Count("id", filter=Q(status=ReservationStatus.ACTIVE)))
    yield _by("itam_servers", "Servers by status and datacenter.", ["status", "datacenter"], servers,
                  columns=["status", "datacenter_name"])
    yield _by("itam_containers", "Containers by status.", ["status"], containers)
    yield _by("itam_gpus", "GPUs by status.", ["status"], gpus)
    yield GaugeMetricFamily("itam_gpu_assignments_open", "Open GPU assignments.", value=assignments["open"])
    yield GaugeMetricFamily("itam_gpu_assignments_expiring_24h", "Open GPU assignments expiring within 24 hours.",
                            value=assignments["expiring"])
    yield GaugeMetricFamily("itam_gpu_reservations_pending", "GPU reservations waiting to start.",
                            value=reservations["pending"])
    yield GaugeMetricFamily("itam_gpu_reservations_active", "GPU reservations in progress.",
                            value=reservations["active"])
