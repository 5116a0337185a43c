"""Django admin for the inventory. Lists read through the querysets of ``querysets.py`` so
counts are annotations and related rows come in the same query: a changelist runs a fixed
number of queries whatever the page size. See ``admin_mixins`` for how to extend them."""
from django.contrib import admin
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.html import format_html, format_html_join

from itam import access
from itam.admin_access import AccessInlineMixin, mine_filter
from itam.admin_mixins import ReadOnlyAdminMixin

from . import admin_port_mappings, admin_views
from .admin_actions import GPUAssignmentAdminMixin, assignment_links, holder
from .admin_mixins import InventoryAdmin, badge, count_column, link_column, object_link, status_badge
from .admin_workbook import WorkbookButtonsMixin
from .choices import ContainerStatus, GPUStatus, ServerStatus, ServiceStatus
from .models import MAX_PORT_MAPPINGS, GPU, Container, Datacenter, Environment, GPUAssignment, PortMapping, Server, Service
from .querysets import count_of
from .services import containers
from .services.gpu_assignment import HOLDER_FIELDS, recorded_name


@admin.display(description="environment", ordering="environment__sort_order")
def environment_badge(obj):
    return badge(obj.environment.name, obj.environment.color)


@admin.register(Datacenter)
class DatacenterAdmin(WorkbookButtonsMixin, InventoryAdmin):
    list_display = (
        "name", "location", "is_active", count_column("server_count", "servers", Server, "datacenter__id__exact"),
        "created_at",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "location")

    def get_queryset(self, request):
        # A subquery, not Count(): a GROUP BY would drop the model's ordering (autocomplete).
        return super().get_queryset(request).annotate(server_count=count_of(Server.objects, "datacenter"))


@admin.register(Environment)
class EnvironmentAdmin(InventoryAdmin):
    list_display = (
        "name", "code", "colour", "sort_order", count_column("server_count", "servers", Server, "environment__id__exact"),
    )
    list_editable = ("sort_order",)
    search_fields = ("name", "code")

    @admin.display(description="colour")
    def colour(self, obj):
        return badge(obj.color, obj.color)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(server_count=count_of(Server.objects, "environment"))


class ContainerInline(AccessInlineMixin, admin.TabularInline):
    """A server's containers at a glance; the full form is one click away."""

    model = Container
    fields = ("name", "image", "status", "owner", "sort_order")
    readonly_fields = ("owner",)
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("server__datacenter", "owner")


class GPUInline(AccessInlineMixin, admin.TabularInline):
    """GPUs of a server. Who holds one changes only through assign/release."""

    model = GPU
    fields = ("index", "model", "memory_gb", "status", assignment_links, "sort_order")
    readonly_fields = ("status", assignment_links)  # the GPU's page offers the statuses the rules allow
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("server__datacenter", "assigned_to")


@admin.register(Server)
class ServerAdmin(WorkbookButtonsMixin, InventoryAdmin):
    list_display = (
        "name", link_column("datacenter", "datacenter", "datacenter__name"), environment_badge, "internal_ip",
        status_badge(ServerStatus), count_column("container_count", "containers", Container, "server__id__exact"),
        count_column("gpu_count", "GPUs", GPU, "server__id__exact"),
    )
    list_select_related = ("datacenter", "environment")
    list_filter = ("status", "environment", "datacenter")
    # Names repeat across datacenters: lists and pickers sort and search by datacenter too.
    ordering = ("datacenter__name", "name", "id")
    search_fields = ("name", "datacenter__name", "internal_ip", "external_ip", "responsible_person")
    search_help_text = "Name, datacenter, internal or external IP, responsible person."
    autocomplete_fields = ("datacenter", "environment")
    readonly_fields = ("ssh_command", "created_at", "updated_at")
    inlines = (ContainerInline, GPUInline)

    @admin.display(description="SSH command")
    def ssh_command(self, obj):
        return obj.ssh_command

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()


class PortMappingInline(AccessInlineMixin, admin.TabularInline):
    model = PortMapping
    parent_access = access.OWNER_OR_ADMIN
    formset = admin_port_mappings.PortMappingInlineFormSet
    fields = ("container_port", "internal_ip", "internal_port", "external_ip", "external_port", "protocol", "description")
    extra = 0
    max_num = MAX_PORT_MAPPINGS
    validate_max = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("container__server__datacenter")


@admin.display(description="services")
def service_links(container):
    """A container's services, each a link (the page of a container shows what runs in it)."""
    if container is None or container.pk is None:
        return "—"
    services = container.services.order_by("sort_order", "id")
    rows = [(object_link(service, service.name), service.get_status_display()) for service in services]
    if not rows:
        return "No services in this container."
    return format_html('<ul class="itam-links">{}</ul>', format_html_join("", "<li>{} {}</li>", rows))


@admin.register(Container)
class ContainerAdmin(WorkbookButtonsMixin, InventoryAdmin):
    """A container with its port-mapping inline is saved once, with its mappings, by the
    container service: one write, one audit entry showing field and mapping changes."""

    access = access.OWNER_OR_ADMIN
    admin_only_fields = ("sort_order",)  # POST .../update-sort-order is the admins' (API.md §9.3)

    list_display = (
        "name", link_column("server", "server", "server__name"), "image", status_badge(ContainerStatus), "owner",
        "assigned_user", count_column("service_count", "services", Service, "container__id__exact"),
    )
    list_filter = (mine_filter("owner", "owner", "Mine"), "status", "server__datacenter")
    ordering = ("server__datacenter__name", "server__name", "name", "id")
    search_fields = ("name", "image", "container_id", "server__name", "server__datacenter__name", "server__internal_ip")
    search_help_text = "Name, image, runtime ID, server name or IP, datacenter."
    autocomplete_fields = ("server", "assigned_user")
    readonly_fields = ("owner", service_links, "created_at", "updated_at")
    inlines = (PortMappingInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts().labelled()

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

    access = admin_port_mappings.MAPPING_ACCESS
    deleted_with_parent = True  # with its container, which its owner may delete

    form = admin_port_mappings.PortMappingForm
    list_display = ("mapping_chain", link_column("container", "container", "container__name"),
                    link_column("container__server", "server", "container__server__name"),
                    link_column("container__server__datacenter", "datacenter", "container__server__datacenter__name"),
                    "protocol", "description")
    list_select_related = ("container__server__datacenter",)
    list_filter = ("protocol", "container__server__datacenter")
    search_fields = ("container__name", "container__server__name", "internal_ip", "external_ip", "description")
    search_help_text = "A port number, container or server name, IP address or description."
    autocomplete_fields = ("container",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("container__server__datacenter")

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        ports = admin_port_mappings.port_search(search_term)
        return (found if ports is None else found | queryset.filter(ports)), may_have_duplicates

    def get_readonly_fields(self, request, obj=None):
        return ("container",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "container":  # a user adds mappings to the containers they may change
            kwargs["queryset"] = access.OWNER_OR_ADMIN.changeable(Container.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        containers.save_port_mapping(obj)

    def delete_model(self, request, obj):
        containers.delete_port_mappings([obj])

    def delete_queryset(self, request, queryset):
        containers.delete_port_mappings(queryset)


@admin.register(Service)
class ServiceAdmin(WorkbookButtonsMixin, InventoryAdmin):
    access = access.OWNER_OR_ADMIN
    admin_only_fields = ("sort_order",)  # POST .../update-sort-order is the admins' (API.md §9.3)
    deleted_with_parent = True  # with its container, as DELETE /api/containers/{id} takes it
    list_display = ("name", link_column("container", "container", "container__name"), "service_type", "port",
                    "version", status_badge(ServiceStatus), "owner")
    list_filter = (mine_filter("owner", "owner", "Mine"), "status", "service_type", "container__server__datacenter")
    search_fields = ("name", "container__name", "container__server__name", "container__server__datacenter__name",
                     "version")
    autocomplete_fields = ("container",)
    readonly_fields = ("owner", "created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).with_related().labelled()


@admin.display(description="GPU", ordering="model")
def gpu_name(gpu):
    return f"{gpu.model} #{gpu.index}"


@admin.register(GPU)
class GPUAdmin(WorkbookButtonsMixin, GPUAssignmentAdminMixin, InventoryAdmin):
    list_display = (
        gpu_name, link_column("server", "server", "server__name"),
        link_column("server__datacenter", "datacenter", "server__datacenter__name"), "memory_gb",
        status_badge(GPUStatus), holder,
    )
    list_filter = (mine_filter("assigned_to", "held by", "Me"), "status", "model", "server__datacenter")
    ordering = ("server__datacenter__name", "server__name", "index", "id")
    search_fields = ("model", "server__name", "server__datacenter__name", "assigned_to__username",
                     "assigned_to__display_name")
    autocomplete_fields = ("server",)
    # Status beside its holder (both change through Assign / Release; see GPUAssignmentAdminMixin).
    fields = ("server", "model", "memory_gb", "index", "status", holder, "gpu_usage", "memory_usage", "description",
              "sort_order", "created_at", "updated_at")
    readonly_fields = (holder, "created_at", "updated_at")
    revert_keeps = HOLDER_FIELDS
    revert_note = ("Reverting restores this GPU's description only (model, memory, index, usage, notes). "
                   "Its status and who holds it stay as they are: they change only through Assign and Release.")
    history_values = {"assigned_to": lambda user: recorded_name(user) if hasattr(user, "username") else str(user)}

    def get_queryset(self, request):
        return super().get_queryset(request).with_related().labelled()


class AssignmentStateFilter(admin.SimpleListFilter):
    """Who holds what now: open assignments, or the released ones."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("open", "Open"), ("released", "Released"))

    def queryset(self, request, queryset):
        if self.value() in ("open", "released"):
            return queryset.filter(released_at__isnull=self.value() == "open")
        return queryset


@admin.display(description="expires at", ordering="expires_at")
def expires_with_extend(assignment):
    """The expiry, and Extend… while the assignment is open (the page itself checks
    holder-or-admin, as the API does)."""
    expires = date_format(localtime(assignment.expires_at), "DATETIME_FORMAT") if assignment.expires_at else "—"
    if assignment.released_at is not None:
        return expires
    return format_html('{} <a class="itam-extend" href="{}">Extend…</a>', expires,
                       reverse("admin:inventory_gpu_extend", args=[assignment.gpu_id]))


@admin.register(GPUAssignment)
class GPUAssignmentAdmin(ReadOnlyAdminMixin, InventoryAdmin):
    """The assignment history is written by the assign/release service only: read-only here.
    It goes with its GPU (as DELETE /api/gpus/{id} takes it), so deleting a GPU or server
    needs no permission on it."""

    deleted_with_parent = True

    list_display = (link_column("gpu", "GPU", "gpu__model"), "user_name", "purpose", "assigned_at",
                    expires_with_extend, "released_at", "release_reason")
    list_display_links = None  # read-only rows: the GPU column opens the GPU
    list_select_related = ("gpu__server__datacenter",)
    list_filter = (AssignmentStateFilter, "gpu__server__datacenter")
    search_fields = ("user_name", "assigned_by_name", "purpose", "gpu__model", "gpu__server__name",
                     "gpu__server__datacenter__name")
    date_hierarchy = "assigned_at"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("gpu__server__datacenter")


# The admin index is the ops dashboard; the server tree is a page of its own (admin_views).
admin.site.add_index_context("dashboard", admin_views.dashboard)
admin.site.add_page("tree/", admin_views.tree_view, name="inventory_tree")
admin.site.add_page("tree/datacenter/<int:datacenter_id>/", admin_views.tree_datacenter_view, name="inventory_tree_datacenter")
admin.site.add_page("tree/server/<int:server_id>/", admin_views.tree_server_view, name="inventory_tree_server")

from . import admin_reservations  # noqa: E402,F401 - GPU reservations (a module of their own)
