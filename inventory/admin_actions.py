"""GPU assign and release in the admin.

Two ways in: the actions on the GPU changelist (any selection), and the per-GPU pages
``<gpu>/assign/`` and ``<gpu>/release/`` linked from the GPU rows of a server's page.
Every change goes through ``inventory.services.gpu_assignment``; this module only turns
forms into service calls and service errors into form errors and messages.
"""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from itam.admin_access import AccessInlineMixin
from itam.admin_mixins import ReadOnlyAdminMixin
from itam.errors import DomainError

from .choices import GPUStatus, ReleaseReason
from .models import GPUAssignment
from .services.gpu_assignment import assign_gpu, release_gpu

# Service error keys -> form fields (the service speaks the API's field names).
FORM_FIELD_OF = {"user_id": "user", "expires_at": "expires_at", "reason": "reason"}


def service_errors(exc):
    """A domain exception -> ``{form field or None: [messages]}``."""
    if not exc.errors:
        return {None: [exc.message]}
    return {FORM_FIELD_OF.get(key): msgs for key, msgs in exc.errors.items()}


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user.display_name} ({user.username})"


class AssignGPUForm(forms.Form):
    user = UserChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        help_text="Only active users can hold a GPU.",
    )
    purpose = forms.CharField(max_length=200, required=False)
    expires_at = forms.SplitDateTimeField(
        required=False, widget=AdminSplitDateTime, label="Expires at",
        help_text="UTC. Leave empty for no expiry; expired GPUs are released automatically.",
    )


class ReleaseGPUForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False, initial=ReleaseReason.MANUAL, help_text="Default: manual.")


def _gpu_label(gpu):
    return f"{gpu.display_name} #{gpu.index}"


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
            messages.error(request, f"{_gpu_label(gpu)}: {' '.join(errors[None])}")
        else:
            done.append(_gpu_label(gpu))
    if done:
        user = form.cleaned_data["user"]
        messages.success(request, f"GPU assigned to {user.display_name or user.username}: {', '.join(done)}.")
    return {}


def release_each(request, gpus, reason):
    done = []
    for gpu in gpus:
        try:
            release_gpu(gpu.pk, by=request.user, reason=reason or ReleaseReason.MANUAL)
        except DomainError as exc:
            messages.error(request, f"{_gpu_label(gpu)}: {' '.join(exc.messages())}")
        else:
            done.append(_gpu_label(gpu))
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
    holder = gpu.assigned_to.display_name if gpu.assigned_to_id else gpu.get_status_display()
    return format_html('{} <a class="button" href="{}?next={}">Release…</a>', holder, url, back)


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


class GPUAssignmentAdminMixin:
    """For the GPU ModelAdmin: the assign/release actions and per-GPU pages, and the
    assignment history on the GPU's page."""

    actions = ["assign_gpus", "release_gpus"]
    inlines = [GPUAssignmentInline]

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
        if assigned(request, form, queryset.select_related("server")):
            return None  # back to the changelist, with the messages
        return self._render(request, form, queryset, "Assign GPUs", "Assign", action="assign_gpus")

    @admin.action(description="Release selected GPUs", permissions=["change"])
    def release_gpus(self, request, queryset):
        release_each(request, queryset.select_related("server"), ReleaseReason.MANUAL)

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
