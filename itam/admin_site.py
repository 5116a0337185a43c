"""The admin site for ops staff: the index is a dashboard and the site adds the tree page.

Installed through ``itam.apps.ITAMAdminConfig.default_site``, so every ``@admin.register``
and ``admin.site`` in the apps lands here without knowing about it.
"""
from django.contrib import admin
from django.urls import path


class ITAMAdminSite(admin.AdminSite):
    site_header = "ITAM administration"
    site_title = "ITAM admin"
    index_title = "Dashboard"
    site_url = None  # no public site: hide "View site"

    def get_urls(self):
        # Before the site's own patterns: its catch-all would otherwise answer first.
        return [path("tree/", self.admin_view(self.tree_view), name="inventory_tree"), *super().get_urls()]

    def tree_view(self, request):
        from inventory.admin_views import tree_view

        return tree_view(request, self)

    def index(self, request, extra_context=None):
        from inventory.admin_views import dashboard

        return super().index(request, {"dashboard": dashboard(), **(extra_context or {})})
