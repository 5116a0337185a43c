"""Fast reads for the resource viewsets: ``GET /{resource}`` and ``GET /{resource}/{id}``.

A page of 100 servers spent ~95% of its time building model instances for annotated rows
and walking DRF's per-field machinery. Here the same querysets (filters, ordering,
pagination, prefetches) are fetched as ``.values()`` rows and rendered by the serializer's
compiled plan (``itam.api.fastrender``), which derives from the serializer's own field
list, so each serializer stays the one definition of its shape; ``itam/tests/test_fastread.py``
checks the output equals DRF's byte for byte on every resource.

Writes, and serializers whose fields depend on the request context, keep DRF's path.
"""
from django.http import Http404

from .fastrender import renderer_for
from rest_framework.response import Response


class FastReadMixin:
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        renderer = renderer_for(self.get_serializer_class())
        if self.paginator is None:
            return Response(renderer.render_many(queryset))
        page = self.paginator.page_slice(queryset, request)
        return self.paginator.get_paginated_response(renderer.render_many(page))

    def retrieve(self, request, *args, **kwargs):
        detail = getattr(self, "get_detail_queryset", self.get_queryset)()
        renderer = renderer_for(self.get_serializer_class())
        own_columns = [f.attname for f in detail.model._meta.concrete_fields]
        rows = renderer.fetch(detail.filter(pk=self.kwargs[self.lookup_field]), extra=own_columns)
        if not rows:
            raise Http404
        # Object permissions see the row (its columns, the model's properties), as they would the instance.
        self.check_object_permissions(request, renderer.row_object(rows[0]))
        return Response(renderer.render(rows[0]))
