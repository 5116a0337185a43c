from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    USER = "user", "User"


class GroupingMode(models.TextChoices):
    ENVIRONMENT_FIRST = "environment-first", "Environment first"
    DATACENTER_FIRST = "datacenter-first", "Datacenter first"
    FLAT = "flat", "Flat"


class ViewMode(models.TextChoices):
    GRID = "grid", "Grid"
    LIST = "list", "List"
