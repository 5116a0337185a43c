"""Domain routes beyond CRUD (tree, search, batch, GPU assignment, sort order, overview).
Included before the CRUD routers; every route answers with and without a trailing slash."""
from django.urls import re_path

from ..models import GPU, Container, Service
from .batch_views import BatchDeleteView, BatchUpdateView
from .gpu_views import GPUAssignmentListView, GPUAssignView, GPUReleaseView
from .overview import DatacenterOverviewView
from .search_views import QuickSearchView, SearchView
from .sort_order_views import SortOrderView
from .tree import ServerTreeView
from .utilization_views import GPUUtilizationView


def route(pattern, view, **initkwargs):
    return re_path(rf"^{pattern}/?$", view.as_view(**initkwargs))


urlpatterns = [
    route("datacenters/overview", DatacenterOverviewView),
    route("servers/tree", ServerTreeView),
    route("servers/batch-update", BatchUpdateView),
    route("servers/batch-delete", BatchDeleteView),
    route("search", SearchView),
    route("search/quick", QuickSearchView),
    route("gpus/utilization", GPUUtilizationView),
    route(r"gpus/(?P<pk>\d+)/assign", GPUAssignView),
    route(r"gpus/(?P<pk>\d+)/release", GPUReleaseView),
    route(r"gpus/(?P<pk>\d+)/assignments", GPUAssignmentListView),
    route("containers/update-sort-order", SortOrderView, model=Container),
    route("services/update-sort-order", SortOrderView, model=Service),
    route("gpus/update-sort-order", SortOrderView, model=GPU),
]
