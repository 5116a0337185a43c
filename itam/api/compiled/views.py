"""Compiled list and retrieve for viewsets: ``GET /{resource}`` and ``GET /{resource}/{id}``.

A page of 100 servers spent ~95% of its time building model instances for annotated rows
and walking DRF's per-field machinery. Here the same querysets (filters, ordering,
pagination, prefetches) are fetched as ``.values()`` rows and rendered by the serializer's
compiled plan (``render``).

A list request's queryset is a function of the view, its serializer, the caller's scope
(``read_plan_scope``) and the validated parameters (the FilterSet's cleaned data, the page
bounds), so its count and page statements are compiled once per process for each such
request (``ListPlan``) and run with fresh data on every later one. A parameter the
FilterSet does not know makes no plan of its own; a request whose parameters fail
validation builds none.
"""
from functools import cache

from django.db.models import Model
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.response import Response

from ..filters import BIGINT_MAX
from .entry import read
from .render import NotCompiled, ReadPlan, renderer_for
from .statements import SLOT_INT, Statement, StatementCache

LIST_PLANS = StatementCache(size=512)
# (FilterSet class, the raw parameters it knows) -> their cleaned values, as a key part:
# validating costs ~0.2 ms a request, and the project's filters validate by value alone
# (no database lookups), so the same parameters always give the same values.
FILTER_VALUES = StatementCache(size=512)
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
        return self.renderer.render_rows(self.reads.rows())


def _frozen(value):
    """A cleaned filter value as a hashable key part."""
    if isinstance(value, Model):
        return (value._meta.label, value.pk)
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


@cache
def _parameter_names(filterset_class):
    return frozenset(filterset_class.base_filters)


class CompiledReadMixin:
    """Opts a viewset's ``list`` and ``retrieve`` into compiled reads (``compiled_reads =
    False`` opts a subclass out); plain DRF answers whenever they cannot."""

    compiled_reads = True

    def read_plan_scope(self):
        """What, besides the validated parameters, this view's read querysets depend on (the
        caller's role, say): everything ``get_queryset``/``filter_queryset`` read from the
        request, the clock or the settings must be read here too (``test_compiled_scope``)."""
        return ()

    def filter_values(self, request):
        """The FilterSet's cleaned data as a key; None when the parameters are invalid."""
        backends = tuple(self.filter_backends)
        if not backends:
            return ()
        if backends != (DjangoFilterBackend,) or getattr(self, "filterset_class", None) is None:
            raise NotCompiled(f"{type(self).__name__}: plan keys come from one FilterSet's cleaned data")
        names = _parameter_names(self.filterset_class)
        known = tuple(sorted((name, tuple(values)) for name, values in request.query_params.lists()
                             if name in names or name.rpartition("_")[0] in names))  # range filters: x_min
        values = FILTER_VALUES.get((self.filterset_class, known))
        if values is None:
            filterset = self.filterset_class(data=request.query_params, request=request)
            if not filterset.is_valid():
                return None
            values = _frozen(filterset.form.cleaned_data)
            FILTER_VALUES.put((self.filterset_class, known), values)
        return values

    def list(self, request, *args, **kwargs):
        serializer_class = self.get_serializer_class()
        if not self.compiled_reads:
            return super().list(request, *args, **kwargs)
        return read(serializer_class, lambda: self._compiled_list(request, serializer_class),
                    lambda: super(CompiledReadMixin, self).list(request, *args, **kwargs))

    def _compiled_list(self, request, serializer_class):
        bounds = self.paginator.page_bounds(request) if self.paginator is not None else None
        values = self.filter_values(request)
        key = (type(self), self.action, serializer_class, self.read_plan_scope(), values, bounds)
        plan = LIST_PLANS.get(key) if values is not None else None
        if plan is None:
            queryset = self.filter_queryset(self.get_queryset())  # a bad parameter raises here: no plan
            plan, total = ListPlan.build(renderer_for(serializer_class), queryset, bounds)
            data = plan.render(total)
            LIST_PLANS.put(key, plan)  # only a plan that rendered
        else:
            total = plan.total() if bounds is not None else None
            data = plan.render(total)
        if self.paginator is None:
            return Response(data)
        self.paginator.total = total
        return self.paginator.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        try:
            pk = int(self.kwargs[self.lookup_field])
        except ValueError:
            raise Http404
        if not 0 < pk <= BIGINT_MAX:  # no such row can exist; the database could not compare it
            raise Http404
        serializer_class = self.get_serializer_class()
        if not self.compiled_reads:
            return super().retrieve(request, *args, **kwargs)
        return read(serializer_class, lambda: self._compiled_retrieve(request, serializer_class, pk),
                    lambda: super(CompiledReadMixin, self).retrieve(request, *args, **kwargs))

    def _compiled_retrieve(self, request, serializer_class, pk):
        key = (type(self), "retrieve", serializer_class, self.read_plan_scope())
        plan = built = DETAIL_PLANS.get(key)
        if plan is None:
            detail = getattr(self, "get_detail_queryset", self.get_queryset)()
            own_columns = [f.attname for f in detail.model._meta.concrete_fields]
            plan = ReadPlan(renderer_for(serializer_class), detail.filter(pk=SLOT_INT), extra=own_columns,
                            slots={"pk": SLOT_INT})
        rows = plan.rows(pk=pk)
        if not rows:
            raise Http404
        # Object permissions see the row (its columns, the model's properties), as they would the instance.
        self.check_object_permissions(request, plan.renderer.row_object(rows[0]))
        data = plan.renderer.render_rows(rows)[0]
        if built is None:
            DETAIL_PLANS.put(key, plan)  # only a plan that rendered
        return Response(data)
