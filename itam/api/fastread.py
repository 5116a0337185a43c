"""Fast reads for the resource viewsets: ``GET /{resource}`` and ``GET /{resource}/{id}``.

A page of 100 servers spent ~95% of its time building model instances for annotated rows
and walking DRF's per-field machinery. Here the same querysets (filters, ordering,
pagination, prefetches) are fetched as ``.values()`` rows and rendered by the serializer's
compiled plan (``itam.api.fastrender``), which derives from the serializer's own field
list, so each serializer stays the one definition of its shape; ``itam/tests/test_fastread.py``
checks the output equals DRF's byte for byte on every resource.

A list request's queryset is a function of the view, its serializer, the caller's scope
(``read_plan_scope``) and the query parameters only, so its count and page statements are
compiled once per process for each such request (``ListPlan``) and run with fresh data on
every later one; a request whose parameters fail validation builds no plan.

Writes, and serializers whose fields depend on the request context, keep DRF's path.
"""
from django.http import Http404
from rest_framework.response import Response

from .fastrender import ReadPlan, renderer_for
from .filters import BIGINT_MAX
from .statements import SLOT_INT, Statement, StatementCache

LIST_PLANS = StatementCache(size=512)
DETAIL_PLANS = StatementCache(size=64)  # one per viewset and serializer: the id is a slot


class ListPlan:
    """The compiled reads of one list request: its count (when paginated) and its page with
    the page's prefetched relations (``ReadPlan``)."""

    def __init__(self, renderer, queryset, bounds, count):
        self.renderer, self.count = renderer, count
        self.start = bounds[0] if bounds else 0
        page = queryset if bounds is None else queryset[bounds[0]:bounds[1]]
        # Rows are only rendered here, so datetimes the renderer reads as UTC may stay naive.
        self.reads = ReadPlan(renderer, page, naive_utc=True)

    @classmethod
    def build(cls, renderer, queryset, bounds):
        """The plan, and the total its count statement found while it was recorded."""
        count, total = Statement.of_count(queryset) if bounds is not None else (None, None)
        return cls(renderer, queryset, bounds, count), total

    def total(self):
        return self.count.scalar()

    def render(self, total=None):
        if total is not None and self.start >= total:
            return []
        render = self.renderer.render
        return [render(row) for row in self.reads.rows()]


class FastReadMixin:
    def read_plan_scope(self):
        """What, besides the parameters, this view's read querysets depend on (the caller's
        role, say); a view whose reads depend on the caller overrides it."""
        return ()

    def list(self, request, *args, **kwargs):
        serializer_class = self.get_serializer_class()
        key = (type(self), self.action, serializer_class, self.read_plan_scope(),
               tuple(sorted((name, tuple(values)) for name, values in request.query_params.lists())))
        plan = LIST_PLANS.get(key)
        bounds = self.paginator.page_bounds(request) if self.paginator is not None else None
        if plan is None:
            queryset = self.filter_queryset(self.get_queryset())  # a bad parameter raises here: no plan
            plan, total = ListPlan.build(renderer_for(serializer_class), queryset, bounds)
            LIST_PLANS.put(key, plan)
        elif bounds is not None:
            total = plan.total()
        if self.paginator is None:
            return Response(plan.render())
        self.paginator.total = total
        return self.paginator.get_paginated_response(plan.render(total))

    def retrieve(self, request, *args, **kwargs):
        try:
            pk = int(self.kwargs[self.lookup_field])
        except ValueError:
            raise Http404
        if not 0 < pk <= BIGINT_MAX:  # no such row can exist; the database could not compare it
            raise Http404
        serializer_class = self.get_serializer_class()
        key = (type(self), "retrieve", serializer_class, self.read_plan_scope())
        plan = DETAIL_PLANS.get(key)
        if plan is None:
            detail = getattr(self, "get_detail_queryset", self.get_queryset)()
            own_columns = [f.attname for f in detail.model._meta.concrete_fields]
            plan = ReadPlan(renderer_for(serializer_class), detail.filter(pk=SLOT_INT), extra=own_columns,
                            slots={"pk": SLOT_INT})
            DETAIL_PLANS.put(key, plan)
        rows = plan.rows(pk=pk)
        if not rows:
            raise Http404
        # Object permissions see the row (its columns, the model's properties), as they would the instance.
        self.check_object_permissions(request, plan.renderer.row_object(rows[0]))
        return Response(plan.renderer.render(rows[0]))
