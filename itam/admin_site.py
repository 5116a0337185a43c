"""The admin site for ops staff: apps add whole pages and the index's context to it.

Installed through ``itam.apps.ITAMAdminConfig.default_site``, so every ``@admin.register``
and ``admin.site`` in the apps lands here without knowing about it. The site knows no app:
an app's admin module calls ``add_page`` / ``add_index_context`` (the inventory adds the
dashboard and the server tree).
"""
from django.contrib import admin
from django.urls import path

from . import access
from .admin_access import AccessAutocompleteView


class ITAMAdminSite(admin.AdminSite):
    site_header = "ITAM administration"
    site_title = "ITAM admin"
    index_title = "Dashboard"
    site_url = None  # no public site: hide "View site"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []  # (route, view, URL name)
        self._index_context = {}  # context name -> function of no arguments

    def has_permission(self, request):
        """Every active account signs in; what it sees and may do is its role's
        (``itam.admin_access``), as in the API."""
        return access.is_signed_in(request.user)

    def autocomplete_view(self, request):
        return AccessAutocompleteView.as_view(admin_site=self)(request)

    def each_context(self, request):
        return {**super().each_context(request), "is_itam_admin": access.is_admin(request.user)}

    def add_page(self, route, view, name):
        """A page ``view(request, site)`` at ``/admin/<route>``, for signed-in accounts (the
        view checks the role when it is admin-only); its URL is ``admin:<name>``."""
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
