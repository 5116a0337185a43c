"""Django admin for the inventory. Lists read through the querysets of ``querysets.py`` so
counts are annotations and related rows come in the same query: a changelist runs a fixed
number of queries whatever the page size. See ``admin_mixins`` for how to extend them."""
from django.contrib import admin

from itam.admin_mixins import ReadOnlyAdminMixin

from . import admin_views
from .admin_actions import GPUAssignmentAdminMixin, assignment_links
from .admin_mixins import InventoryAdmin, badge, count_column, status_badge
from .admin_workbook import SheetImportExportMixin
from .choices import ContainerStatus, GPUStatus, ServerStatus, ServiceStatus
from .models import MAX_PORT_MAPPINGS, GPU, Container, Datacenter, Environment, GPUAssignment, PortMapping, Server, Service
from .querysets import count_of
from .services import containers
from .services.gpu_assignment import HOLDER_FIELDS


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
class ServerAdmin(SheetImportExportMixin, InventoryAdmin):
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
class ContainerAdmin(SheetImportExportMixin, InventoryAdmin):
    """A container with its port-mapping inline is saved once, with its mappings, by the
    container service: one write, one audit entry showing field and mapping changes."""

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

    @staticmethod
    def _posts_mappings(request):
        return "port_mappings-TOTAL_FORMS" in request.POST  # the inline's management form

    def save_model(self, request, obj, form, change):
        # With the mapping inline posted, save_related saves the container with its mappings.
        # Without it (a history revert, the inline hidden) there is nothing more to save.
        if not self._posts_mappings(request):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        mapping_formsets = [formset for formset in formsets if formset.model is PortMapping]
        if mapping_formsets:
            containers.save_container(form.instance, mappings=posted_mappings(mapping_formsets[0]),
                                      creator=request.user)
        elif self._posts_mappings(request):  # posted, yet the inline is not shown to this user
            super().save_model(request, form.instance, form, change)
        super().save_related(request, form, [f for f in formsets if f.model is not PortMapping], change)


def posted_mappings(formset):
    """The complete set of mappings a validated inline formset describes: the stored rows it
    keeps (with their edits) and its new rows."""
    formset.save(commit=False)  # sorts the rows into new, changed and deleted ones
    deleted = {mapping.pk for mapping in formset.deleted_objects}
    kept = [form.instance for form in formset.initial_forms if form.instance.pk not in deleted]
    return kept + formset.new_objects


@admin.register(PortMapping)
class PortMappingAdmin(InventoryAdmin):
    """One mapping on its own page: a change of its container's mappings (container service),
    recorded in the container's audit entry. A mapping stays with its container."""

    list_display = ("mapping_chain", "container", "protocol", "description")
    list_select_related = ("container__server",)
    list_filter = ("protocol",)
    search_fields = ("container__name", "internal_ip", "external_ip", "description")
    autocomplete_fields = ("container",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("container__server")

    def get_readonly_fields(self, request, obj=None):
        return ("container",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        containers.save_port_mapping(obj)

    def delete_model(self, request, obj):
        containers.delete_port_mappings([obj])

    def delete_queryset(self, request, queryset):
        containers.delete_port_mappings(queryset)


@admin.register(Service)
class ServiceAdmin(SheetImportExportMixin, InventoryAdmin):
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
    revert_keeps = HOLDER_FIELDS
    revert_note = ("Reverting restores this GPU's description only (model, memory, index, usage, notes). "
                   "Its status and who holds it stay as they are: they change only through Assign and Release.")

    def get_queryset(self, request):
        return super().get_queryset(request).with_related()


@admin.register(GPUAssignment)
class GPUAssignmentAdmin(ReadOnlyAdminMixin, InventoryAdmin):
    """The assignment history is written by the assign/release service only: read-only here.
    It goes with its GPU (as DELETE /api/gpus/{id} takes it), so deleting a GPU or server
    needs no permission on it."""

    deleted_with_parent = True

    list_display = ("gpu", "user_name", "purpose", "assigned_at", "expires_at", "released_at", "release_reason")
    list_select_related = ("gpu__server",)
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    search_fields = ("user_name", "assigned_by_name", "purpose", "gpu__model", "gpu__server__name")
    date_hierarchy = "assigned_at"


# The admin index is the ops dashboard; the server tree is a page of its own (admin_views).
admin.site.add_index_context("dashboard", admin_views.dashboard)
admin.site.add_page("tree/", admin_views.tree_view, name="inventory_tree")

from . import admin_reservations  # noqa: E402,F401 - GPU reservations (a module of their own)
