"""Django admin for the inventory. Lists read through the querysets of ``querysets.py`` so
counts are annotations and related rows come in the same query: a changelist runs a fixed
number of queries whatever the page size. See ``admin_mixins`` for how to extend them."""
from django.contrib import admin

from itam.admin_mixins import ReadOnlyAdminMixin

from .admin_actions import GPUAssignmentAdminMixin, assignment_links
from .admin_mixins import InventoryAdmin, OwnerIsCreatorMixin, badge, count_column, status_badge
from .admin_workbook import SheetImportExportMixin
from .choices import ContainerStatus, GPUStatus, ServerStatus, ServiceStatus
from .models import MAX_PORT_MAPPINGS, GPU, Container, Datacenter, Environment, GPUAssignment, PortMapping, Server, Service
from .querysets import count_of


@admin.display(description="environment", ordering="environment__sort_order")
def environment_badge(obj):
    return badge(obj.environment.name, obj.environment.color)


@admin.register(Datacenter)
class DatacenterAdmin(SheetImportExportMixin, InventoryAdmin):
    list_display = ("name", "location", "is_active", count_column("server_count", "servers"), "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "location")

    def get_queryset(self, request):
        # A subquery, not Count(): a GROUP BY would drop the model's ordering (autocomplete).
        return super().get_queryset(request).annotate(server_count=count_of(Server.objects, "datacenter"))


@admin.register(Environment)
class EnvironmentAdmin(InventoryAdmin):
    list_display = ("name", "code", "colour", "sort_order", count_column("server_count", "servers"))
    list_editable = ("sort_order",)
    search_fields = ("name", "code")

    @admin.display(description="colour")
    def colour(self, obj):
        return badge(obj.color, obj.color)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(server_count=count_of(Server.objects, "environment"))


class ContainerInline(admin.TabularInline):
    """A server's containers at a glance; the full form is one click away."""

    model = Container
    fields = ("name", "image", "status", "owner", "sort_order")
    readonly_fields = ("owner",)
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("server", "owner")


class GPUInline(admin.TabularInline):
    """GPUs of a server. Who holds one changes only through assign/release."""

    model = GPU
    fields = ("index", "model", "memory_gb", "status", "assigned_to", assignment_links, "sort_order")
    readonly_fields = ("assigned_to", assignment_links)
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("server", "assigned_to")


@admin.register(Server)
class ServerAdmin(SheetImportExportMixin, OwnerIsCreatorMixin, InventoryAdmin):
    list_display = (
        "name", "datacenter", environment_badge, "internal_ip", status_badge(ServerStatus),
        count_column("container_count", "containers"), count_column("gpu_count", "GPUs"),
    )
    list_select_related = ("datacenter", "environment")
    list_filter = ("status", "environment", "datacenter")
    search_fields = ("name", "internal_ip", "external_ip", "responsible_person")
    search_help_text = "Name, internal or external IP, responsible person."
    autocomplete_fields = ("datacenter", "environment")
    readonly_fields = ("ssh_command", "created_at", "updated_at")
    inlines = (ContainerInline, GPUInline)

    @admin.display(description="SSH command")
    def ssh_command(self, obj):
        return obj.ssh_command

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()


class PortMappingInline(admin.TabularInline):
    model = PortMapping
    fields = ("container_port", "internal_ip", "internal_port", "external_ip", "external_port", "protocol", "description")
    extra = 0
    max_num = MAX_PORT_MAPPINGS
    validate_max = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("container__server")


@admin.register(Container)
class ContainerAdmin(SheetImportExportMixin, OwnerIsCreatorMixin, InventoryAdmin):
    list_display = (
        "name", "server", "image", status_badge(ContainerStatus), "owner", "assigned_user",
        count_column("service_count", "services"),
    )
    list_filter = ("status", "server__datacenter")
    search_fields = ("name", "image", "container_id", "server__name", "server__internal_ip")
    search_help_text = "Name, image, runtime ID, server name or IP."
    autocomplete_fields = ("server", "assigned_user")
    readonly_fields = ("owner", "created_at", "updated_at")
    inlines = (PortMappingInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()


@admin.register(PortMapping)
class PortMappingAdmin(InventoryAdmin):
    list_display = ("mapping_chain", "container", "protocol", "description")
    list_select_related = ("container__server",)
    list_filter = ("protocol",)
    search_fields = ("container__name", "internal_ip", "external_ip", "description")
    autocomplete_fields = ("container",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("container__server")


@admin.register(Service)
class ServiceAdmin(SheetImportExportMixin, OwnerIsCreatorMixin, InventoryAdmin):
    list_display = ("name", "container", "service_type", "port", "version", status_badge(ServiceStatus), "owner")
    list_filter = ("status", "service_type")
    search_fields = ("name", "container__name", "version")
    autocomplete_fields = ("container",)
    readonly_fields = ("owner", "created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).with_related()


@admin.register(GPU)
class GPUAdmin(SheetImportExportMixin, GPUAssignmentAdminMixin, InventoryAdmin):
    list_display = ("display_name", "server", "index", "model", "memory_gb", status_badge(GPUStatus), "assigned_to")
    list_filter = ("status", "model", "server__datacenter")
    search_fields = ("model", "server__name", "assigned_to__username", "assigned_to__display_name")
    autocomplete_fields = ("server",)
    readonly_fields = ("assigned_to", "created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).with_related()


@admin.register(GPUAssignment)
class GPUAssignmentAdmin(ReadOnlyAdminMixin, InventoryAdmin):
    """The assignment history is written by the assign/release service only: read-only here."""

    list_display = ("gpu", "user_name", "purpose", "assigned_at", "expires_at", "released_at", "release_reason")
    list_select_related = ("gpu__server",)
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    search_fields = ("user_name", "assigned_by_name", "purpose", "gpu__model", "gpu__server__name")
    date_hierarchy = "assigned_at"
