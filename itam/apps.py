from django.contrib.admin.apps import AdminConfig


class ITAMAdminConfig(AdminConfig):
    """django.contrib.admin with ITAM's site (dashboard index, tree page) as ``admin.site``."""

    default_site = "itam.admin_site.ITAMAdminSite"
