"""GPU assign and release in the admin.

Two ways in: the actions on the GPU changelist (any selection), and the per-GPU pages
``<gpu>/assign/`` and ``<gpu>/release/``, offered as buttons on the GPU's own page (those its
state allows) and linked from the GPU rows of a server's page. The GPU's page also limits its
status to what ``gpu_assignment.settable_statuses`` allows. Every change goes through
``inventory.services.gpu_assignment``; this module only turns forms into service calls and
service errors into form errors and messages.
"""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime, AutocompleteSelect
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from itam.access import is_admin
from itam.admin_access import AccessInlineMixin
from itam.admin_mixins import ReadOnlyAdminMixin
from itam.errors import DomainError

from .choices import GPUStatus, ReleaseReason
from .models import GPU, GPUAssignment
from .services.gpu_assignment import assign_gpu, check_may_extend, recorded_name, release_gpu, settable_statuses


def may_extend(gpu, user):
    """Whether ``user`` may extend ``gpu``'s hold (the holder or an admin; the service's rule)."""
    try:
        check_may_extend(gpu, user, by_admin=is_admin(user))
    except DomainError:
        return False
    return True

# Service error keys -> form fields (the service speaks the API's field names).
FORM_FIELD_OF = {"user_id": "user", "expires_at": "expires_at", "reason": "reason"}


def service_errors(exc):
    """A domain exception -> ``{form field or None: [messages]}``."""
    if not exc.errors:
        return {None: [exc.message]}
    return {FORM_FIELD_OF.get(key): msgs for key, msgs in exc.errors.items()}


def holder_name(gpu):
    """Who holds ``gpu``, by the name its assignment records (display name, else username):
    the same in lists, pages, the tree, the assignment list and the GPU's history."""
    return recorded_name(gpu.assigned_to) if gpu.assigned_to_id else "—"


@admin.display(description="held by", ordering="assigned_to__display_name")
def holder(gpu):
    return holder_name(gpu) if gpu is not None else "—"


class AssignGPUForm(forms.Form):
    # An autocomplete (searching the user admin: username, display name, e-mail), as the
    # GPU's own holder field would be.
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        widget=AutocompleteSelect(GPU._meta.get_field("assigned_to"), admin.site),
        help_text="Only active users can hold a GPU.",
    )
    purpose = forms.CharField(max_length=200, required=False)
    expires_at = forms.SplitDateTimeField(
        required=False, widget=AdminSplitDateTime, label="Expires at",
        help_text="UTC. Leave empty for no expiry; expired GPUs are released automatically.",
    )


class ReleaseGPUForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False, initial=ReleaseReason.MANUAL, help_text="Default: manual.")


def assign_each(request, gpus, form):
    """Assign every GPU to the form's user. Returns the form errors that stop the whole
    request (bad expiry, unknown user); per-GPU conflicts become messages."""
    done = []
    for gpu in gpus:
        try:
            assign_gpu(
                gpu.pk, form.cleaned_data["user"].pk, by=request.user,
                purpose=form.cleaned_data["purpose"] or None, expires_at=form.cleaned_data["expires_at"],
            )
        except DomainError as exc:
            errors = service_errors(exc)
            if set(errors) - {None}:  # about the form's values: the same for every GPU
                return errors
            messages.error(request, f"{gpu.label}: {' '.join(errors[None])}")
        else:
            done.append(gpu.label)
    if done:
        user = form.cleaned_data["user"]
        messages.success(request, f"GPU assigned to {recorded_name(user)}: {', '.join(done)}.")
    return {}


def release_each(request, gpus, reason):
    done = []
    for gpu in gpus:
        try:
            release_gpu(gpu.pk, by=request.user, reason=reason or ReleaseReason.MANUAL)
        except DomainError as exc:
            messages.error(request, f"{gpu.label}: {' '.join(exc.messages())}")
        else:
            done.append(gpu.label)
    if done:
        messages.success(request, f"GPU released: {', '.join(done)}.")


def assigned(request, form, gpus):
    """Validate the form and assign the GPUs; False when the form must be shown again."""
    if not form.is_valid():
        return False
    for field, msgs in assign_each(request, gpus, form).items():
        for msg in msgs:
            form.add_error(field, msg)
    return form.is_valid()


@admin.display(description="Assignment")
def assignment_links(gpu):
    """Assign or release links for a GPU row (the GPU inline of a server's page)."""
    if gpu is None or gpu.pk is None:
        return "—"
    back = reverse("admin:inventory_server_change", args=[gpu.server_id])
    if gpu.status == GPUStatus.FREE:
        url = reverse("admin:inventory_gpu_assign", args=[gpu.pk])
        return format_html('<a class="button" href="{}?next={}">Assign…</a>', url, back)
    url = reverse("admin:inventory_gpu_release", args=[gpu.pk])
    held_by = holder_name(gpu) if gpu.assigned_to_id else gpu.get_status_display()
    return format_html('{} <a class="button" href="{}?next={}">Release…</a>', held_by, url, back)


class GPUAssignmentInline(ReadOnlyAdminMixin, AccessInlineMixin, admin.TabularInline):
    """The GPU's assignment history, newest first, read-only (changed only by the services)."""

    model = GPUAssignment
    fk_name = "gpu"
    verbose_name = "assignment"
    verbose_name_plural = "Assignment history"
    fields = readonly_fields = (
        "user_name", "purpose", "assigned_at", "expires_at", "assigned_by_name", "released_at", "release_reason",
    )
    ordering = ("-assigned_at", "-id")
    extra = 0
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("gpu__server__datacenter")


class GPUAssignmentAdminMixin:
    """For the GPU ModelAdmin: the assign/release actions and per-GPU pages, and the
    assignment history on the GPU's page."""

    actions = ["assign_gpus", "release_gpus"]
    inlines = [GPUAssignmentInline]
    change_form_template = "admin/inventory/gpu/change_form.html"

    # --- the GPU's own page: its actions, and a status the rules allow ---------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        gpu = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "gpu_actions": self.gpu_actions(request, gpu)}
        return super().change_view(request, object_id, form_url, extra_context)

    def gpu_actions(self, request, gpu):
        """[(label, URL)] of what can be done to ``gpu`` now (the service decides whether it works)."""
        if gpu is None:
            return []
        actions = []
        if self.has_change_permission(request, gpu):
            if gpu.is_available:
                actions.append(("Assign…", reverse("admin:inventory_gpu_assign", args=[gpu.pk])))
            if gpu.status != GPUStatus.FREE:
                actions.append(("Release…", reverse("admin:inventory_gpu_release", args=[gpu.pk])))
        if gpu.status == GPUStatus.IN_USE and may_extend(gpu, request.user):
            actions.append(("Extend…", reverse("admin:inventory_gpu_extend", args=[gpu.pk])))
        return actions

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        held = obj is not None and obj.assigned_to_id is not None
        return (*fields, "status") if held and "status" not in fields else fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        status = form.base_fields.get("status")
        if status is not None:  # not read-only: nobody holds the GPU
            allowed = settable_statuses(obj)
            status.choices = [(value, label) for value, label in GPUStatus.choices if value in allowed]
            status.help_text = "A GPU goes in use by being assigned, and back to free by being released."
        return form

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/assign/", view(self.assign_view), name="inventory_gpu_assign"),
            path("<path:object_id>/release/", view(self.release_view), name="inventory_gpu_release"),
            *super().get_urls(),
        ]

    # --- changelist actions ------------------------------------------------------------
    @admin.action(description="Assign selected GPUs to a user…", permissions=["change"])
    def assign_gpus(self, request, queryset):
        form = AssignGPUForm(request.POST if "apply" in request.POST else None)
        if assigned(request, form, queryset.select_related("server__datacenter", "assigned_to")):
            return None  # back to the changelist, with the messages
        return self._render(request, form, queryset, "Assign GPUs", "Assign", action="assign_gpus")

    @admin.action(description="Release selected GPUs", permissions=["change"])
    def release_gpus(self, request, queryset):
        release_each(request, queryset.select_related("server__datacenter", "assigned_to"), ReleaseReason.MANUAL)

    # --- per-GPU pages -----------------------------------------------------------------
    def assign_view(self, request, object_id):
        gpu = self._gpu_or_404(request, object_id)
        form = AssignGPUForm(request.POST if request.method == "POST" else None)
        if assigned(request, form, [gpu]):
            return HttpResponseRedirect(self._next_url(request, gpu))
        return self._render(request, form, [gpu], "Assign GPU", "Assign")

    def release_view(self, request, object_id):
        gpu = self._gpu_or_404(request, object_id)
        form = ReleaseGPUForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            release_each(request, [gpu], form.cleaned_data["reason"])
            return HttpResponseRedirect(self._next_url(request, gpu))
        return self._render(request, form, [gpu], "Release GPU", "Release")

    # --- helpers -------------------------------------------------------------------------
    def _gpu_or_404(self, request, object_id):
        gpu = self.get_object(request, object_id)  # None for unknown or malformed ids
        if gpu is None:
            raise Http404("No such GPU.")
        if not self.has_change_permission(request, gpu):
            raise PermissionDenied
        return gpu

    @staticmethod
    def _safe_next(request):
        """The ``next`` URL (where the admin came from) when it stays on this site, else ""."""
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        allowed = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure())
        return next_url if allowed else ""

    def _next_url(self, request, gpu):
        """Back to the server's page the admin came from, else to the GPU's page."""
        return self._safe_next(request) or reverse("admin:inventory_gpu_change", args=[gpu.pk])

    def _render(self, request, form, gpus, title, submit_label, action=None):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "submit_label": submit_label,
            "opts": self.model._meta,
            "form": form,
            "adminform": helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
            "media": self.media + form.media,
            "gpus": gpus,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "next": self._safe_next(request),
        }
        return TemplateResponse(request, "admin/inventory/gpu/assignment_form.html", context)
