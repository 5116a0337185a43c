from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ITAMConfig(AppConfig):
    """The project package as an app: its management commands (the job worker and
    scheduler) and, at start, every app's ``tasks`` and ``metrics`` modules, so the periodic
    schedule and the gauges of /metrics are complete in every process."""

    name = "itam"
    default = True

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks", "metrics")


class ITAMAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with ITAM's site (pages and index context added by the apps) as ``admin.site``."""

    default = False
    default_site = "itam.admin_site.ITAMAdminSite"
