"""List filters of the inventory resources (API.md §3.3-§3.8)."""
import django_filters
from django.db.models import Count, Q

from itam.api.filters import BooleanFilter, FilterSet, IdFilter

from ..choices import ContainerStatus, GPUStatus, ServerStatus, ServiceStatus, ServiceType
from ..models import GPU, Container, Datacenter, Environment, Server, Service


class DatacenterFilter(FilterSet):
    ordering_fields = ("id", "name", "created_at")
    default_ordering = ("name",)
    keyword = None

    include_stats = BooleanFilter(method="filter_include_stats", label="Add server_count.")
    include_inactive = BooleanFilter(method="filter_include_inactive", label="Also list inactive datacenters.")

    class Meta:
        model = Datacenter
        fields = []

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("include_inactive"):
            queryset = queryset.filter(is_active=True)
        return super().filter_queryset(queryset)

    def filter_include_stats(self, queryset, name, value):
        return queryset.annotate(server_count=Count("servers")) if value else queryset

    def filter_include_inactive(self, queryset, name, value):
        return queryset  # applied in filter_queryset: the default (absent) also filters


class EnvironmentFilter(FilterSet):
    ordering_fields = ("id", "name", "code", "sort_order")
    default_ordering = ("sort_order",)
    keyword = None

    class Meta:
        model = Environment
        fields = []


class ServerFilter(FilterSet):
    keyword_fields = ("name", "internal_ip", "external_ip", "responsible_person")
    ordering_fields = (
        "id", "name", "internal_ip", "status", "datacenter_id", "environment_id", "cpu_usage",
        "memory_usage", "disk_usage", "created_at", "updated_at",
    )
    default_ordering = ("-created_at",)

    datacenter_id = IdFilter()
    environment_id = IdFilter()
    status = django_filters.ChoiceFilter(choices=ServerStatus.choices)

    class Meta:
        model = Server
        fields = []


class ContainerFilter(FilterSet):
    keyword_fields = ("name",)
    ordering_fields = (
        "id", "name", "status", "server_id", "sort_order", "cpu_usage", "memory_usage", "created_at", "updated_at",
    )
    default_ordering = ("-created_at",)

    server_id = IdFilter()
    owner_id = IdFilter()
    assigned_user_id = IdFilter()
    status = django_filters.ChoiceFilter(choices=ContainerStatus.choices)

    class Meta:
        model = Container
        fields = []


class ServiceFilter(FilterSet):
    keyword_fields = ("name",)
    ordering_fields = ("id", "name", "status", "port", "container_id", "sort_order", "created_at", "updated_at")
    default_ordering = ("-created_at",)

    container_id = IdFilter()
    owner_id = IdFilter()
    status = django_filters.ChoiceFilter(choices=ServiceStatus.choices)
    service_type = django_filters.ChoiceFilter(choices=ServiceType.choices)

    class Meta:
        model = Service
        fields = []


class GPUFilter(FilterSet):
    ordering_fields = (
        "id", "server_id", "index", "model", "status", "gpu_usage", "memory_usage", "sort_order", "created_at",
    )
    default_ordering = ("server_id", "index")

    server_id = IdFilter()
    datacenter_id = IdFilter(field_name="server__datacenter_id")
    assigned_to = IdFilter(field_name="assigned_to_id")
    status = django_filters.ChoiceFilter(choices=GPUStatus.choices)
    is_available = BooleanFilter(method="filter_is_available")
    model = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = GPU
        fields = []

    def filter_is_available(self, queryset, name, value):
        available = Q(status=GPUStatus.FREE, assigned_to__isnull=True)
        return queryset.filter(available if value else ~available)
