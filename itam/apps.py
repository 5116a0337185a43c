from django.contrib.admin.apps import AdminConfig


class ITAMAdminConfig(AdminConfig):
    """django.contrib.admin with ITAM's site (pages and index context added by the apps) as ``admin.site``."""

    default_site = "itam.admin_site.ITAMAdminSite"
