"""page / page_size pagination (API.md §1.5): lenient parsing, no 404 past the end."""
import math

from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from itam.text import is_ascii_number_text

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def lenient_int(value, default):
    if not is_ascii_number_text(value):
        return default
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


class PagePagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        return list(self.page_slice(queryset, request))

    def page_bounds(self, request):
        """``(start, stop)`` of the requested page; sets ``page`` and ``page_size``."""
        self.page = max(1, lenient_int(request.query_params.get("page"), 1))
        size = lenient_int(request.query_params.get("page_size"), DEFAULT_PAGE_SIZE)
        self.page_size = min(MAX_PAGE_SIZE, max(1, size))
        start = (self.page - 1) * self.page_size
        return start, start + self.page_size

    def page_slice(self, queryset, request):
        """The requested page of ``queryset``, unevaluated; counts the total."""
        start, stop = self.page_bounds(request)
        self.total = queryset.count() if hasattr(queryset, "count") and not isinstance(queryset, list) else len(queryset)
        if start >= self.total:
            return queryset[:0]
        return queryset[start:stop]

    def get_pagination(self):
        pages = math.ceil(self.total / self.page_size) if self.total else 0
        return {"page": self.page, "page_size": self.page_size, "total": self.total, "pages": pages}

    def get_paginated_response(self, data):
        response = Response(data)
        response.pagination = self.get_pagination()
        return response

    def get_paginated_response_schema(self, schema):
        return schema

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "required": False, "in": "query", "schema": {"type": "integer", "default": 1},
             "description": "Page number (values below 1 mean 1)."},
            {"name": "page_size", "required": False, "in": "query",
             "schema": {"type": "integer", "default": DEFAULT_PAGE_SIZE},
             "description": f"Items per page, clamped to 1..{MAX_PAGE_SIZE}."},
        ]
