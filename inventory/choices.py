"""Every inventory enum, defined once and reused by models, serializers, filters,
import resources and the admin. Each choice set carries its badge colour."""
from django.db import models


class ColoredChoices(models.TextChoices):
    """TextChoices whose members have a display colour (see ``COLORS``)."""

    @classmethod
    def color(cls, value):
        return cls.COLORS.get(value, "#909399")


class ServerStatus(ColoredChoices):
    ONLINE = "online", "Online"
    OFFLINE = "offline", "Offline"
    MAINTENANCE = "maintenance", "Maintenance"


ServerStatus.COLORS = {"online": "#67C23A", "offline": "#F56C6C", "maintenance": "#E6A23C"}


class ContainerStatus(ColoredChoices):
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"
    ERROR = "error", "Error"


ContainerStatus.COLORS = {"running": "#67C23A", "stopped": "#909399", "error": "#F56C6C"}


class ServiceType(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    DATABASE = "database", "Database"
    CACHE = "cache", "Cache"
    QUEUE = "queue", "Queue"
    PROXY = "proxy", "Proxy"
    MONITOR = "monitor", "Monitor"
    OTHER = "other", "Other"


class ServiceStatus(ColoredChoices):
    HEALTHY = "healthy", "Healthy"
    UNHEALTHY = "unhealthy", "Unhealthy"
    STOPPED = "stopped", "Stopped"


ServiceStatus.COLORS = {"healthy": "#67C23A", "unhealthy": "#F56C6C", "stopped": "#909399"}


class GPUStatus(ColoredChoices):
    FREE = "free", "Free"
    IN_USE = "in_use", "In use"
    ERROR = "error", "Error"


GPUStatus.COLORS = {"free": "#67C23A", "in_use": "#409EFF", "error": "#F56C6C"}


class Protocol(models.TextChoices):
    TCP = "tcp", "TCP"
    UDP = "udp", "UDP"


class ReleaseReason(models.TextChoices):
    """Well-known release reasons; an admin may also give free text."""

    MANUAL = "manual", "Manual"
    EXPIRED = "expired", "Expired"
    IMPORT = "import", "Import"
    RESERVATION_ENDED = "reservation ended", "Reservation ended"
    RESERVATION_CANCELLED = "reservation cancelled", "Reservation cancelled"


# The four environments of a fresh installation (API.md §3.4): name, code, colour, order.
DEFAULT_ENVIRONMENTS = (
    ("Production", "prod", "#F56C6C", 1),
    ("Staging", "staging", "#E6A23C", 2),
    ("Test", "test", "#67C23A", 3),
    ("Development", "dev", "#909399", 4),
)


class ReservationStatus(ColoredChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


ReservationStatus.COLORS = {
    "pending": "#E6A23C", "active": "#409EFF", "completed": "#67C23A", "cancelled": "#909399", "failed": "#F56C6C",
}
# A pending or active reservation holds its window: no other may overlap it.
HOLDING_RESERVATION = (ReservationStatus.PENDING, ReservationStatus.ACTIVE)
