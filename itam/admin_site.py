"""The admin site for ops staff: apps add whole pages and the index's context to it.

Installed through ``itam.apps.ITAMAdminConfig.default_site``, so every ``@admin.register``
and ``admin.site`` in the apps lands here without knowing about it. The site knows no app:
an app's admin module calls ``add_page`` / ``add_index_context`` (the inventory adds the
dashboard and the server tree).
"""
from django.contrib import admin
from django.urls import path


class ITAMAdminSite(admin.AdminSite):
    site_header = "ITAM administration"
    site_title = "ITAM admin"
    index_title = "Dashboard"
    site_url = None  # no public site: hide "View site"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []  # (route, view, URL name)
        self._index_context = {}  # context name -> function of no arguments

    def add_page(self, route, view, name):
        """A page ``view(request, site)`` at ``/admin/<route>``, for logged-in staff; its URL
        is ``admin:<name>``."""
        self._pages.append((route, view, name))

    def add_index_context(self, name, provider):
        """``provider()`` is computed for each request of the index and given to its template as ``name``."""
        self._index_context[name] = provider

    def get_urls(self):
        # Before the site's own patterns: its catch-all would otherwise answer first.
        pages = [path(route, self.admin_view(self._page_view(view)), name=name) for route, view, name in self._pages]
        return [*pages, *super().get_urls()]

    def _page_view(self, view):
        def page(request, *args, **kwargs):
            return view(request, self, *args, **kwargs)

        return page

    def index(self, request, extra_context=None):
        context = {name: provider() for name, provider in self._index_context.items()}
        return super().index(request, {**context, **(extra_context or {})})
