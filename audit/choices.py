from django.db import models


class Action(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    BATCH_UPDATE = "batch_update", "Batch update"
    BATCH_DELETE = "batch_delete", "Batch delete"
    ASSIGN = "assign", "Assign"
    RELEASE = "release", "Release"
    IMPORT = "import", "Import"


class ResourceType(models.TextChoices):
    SERVER = "server", "Server"
    CONTAINER = "container", "Container"
    SERVICE = "service", "Service"
    GPU = "gpu", "GPU"
    DATACENTER = "datacenter", "Datacenter"
    ENVIRONMENT = "environment", "Environment"
    USER = "user", "User"
    GPU_RESERVATION = "gpu_reservation", "GPU reservation"
    WEBHOOK = "webhook", "Webhook"  # audited; never announced to webhooks
