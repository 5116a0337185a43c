"""GPU reservations in the admin: a list with filters, booking and editing through
``inventory.services.reservations`` (the form pre-checks the same rules, the save checks
them again under the GPU's lock), cancelling as an action (no hard delete: a cancelled
booking stays on record)."""
from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.dateparse import parse_datetime

from itam.access import OwnerOrAdmin, is_admin
from itam.admin_access import AccessAdminMixin
from itam.admin_mixins import PluralTitleMixin
from itam.errors import DomainError

from . import admin_calendar
from .admin_mixins import status_badge
from .admin_workbook import WorkbookButtonsMixin
from .choices import ReservationStatus
from .models import GPU, GpuReservation
from .services import reservations

# Service error keys -> form fields.
FORM_FIELD_OF = {"gpu_id": "gpu", "user_id": "user", "starts_at": "starts_at", "ends_at": "ends_at"}


class GpuReservationForm(forms.ModelForm):
    class Meta:
        model = GpuReservation
        fields = ["gpu", "user", "purpose", "starts_at", "ends_at"]

    def clean(self):
        cleaned = super().clean()
        gpu, user = cleaned.get("gpu"), cleaned.get("user")
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if None in (gpu, user, starts_at, ends_at) or self.errors:
            return cleaned
        try:
            reservations.check_booking(GPU.objects.get(pk=gpu.pk), user, starts_at, ends_at, ignore=self.instance.pk)
        except DomainError as exc:
            for key, msgs in (exc.errors or {None: [exc.message]}).items():
                for message in msgs:
                    self.add_error(FORM_FIELD_OF.get(key), message)
        return cleaned


def _datetime_or_none(text):
    try:
        return parse_datetime(text) if isinstance(text, str) else None
    except ValueError:
        return None


@admin.action(description="Cancel selected reservations")
def cancel_reservations(modeladmin, request, queryset):
    cancelled = 0
    for reservation in queryset.filter(status__in=[ReservationStatus.PENDING, ReservationStatus.ACTIVE]):
        try:
            reservations.cancel(reservation, by=request.user, is_admin=is_admin(request.user),
                                reason="Cancelled in the admin.")
            cancelled += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{reservation}: {exc.message}", messages.ERROR)
    modeladmin.message_user(request, f"{cancelled} reservation(s) cancelled.", messages.SUCCESS)


@admin.register(GpuReservation)
class GpuReservationAdmin(WorkbookButtonsMixin, AccessAdminMixin, PluralTitleMixin, admin.ModelAdmin):
    """Everyone sees every booking (people plan around each other's, as in the API); a user
    books for themselves and edits or cancels their own; admins any."""

    access = OwnerOrAdmin(owner="user_id")
    admin_only_fields = ("user",)
    form = GpuReservationForm
    deleted_with_parent = True  # goes with its GPU (its pending bookings cancelled first)
    list_display = ("gpu_label", "user", "starts_at", "ends_at", status_badge(ReservationStatus), "status_reason")
    list_select_related = ("gpu__server__datacenter", "user")
    list_filter = ("status", "gpu__server__datacenter", "gpu__server", ("starts_at", admin.DateFieldListFilter))
    search_fields = ("purpose", "user__username", "user__display_name", "gpu__model", "gpu__server__name")
    autocomplete_fields = ("gpu", "user")
    date_hierarchy = "starts_at"
    actions = [cancel_reservations]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != ReservationStatus.PENDING:
            return ["gpu", "user", "purpose", "starts_at", "ends_at", "status", "status_reason"]
        return ["status", "status_reason"] if obj is not None else []

    def get_changeform_initial_data(self, request):
        """The calendar's free slots link here with gpu, starts_at and ends_at in the query."""
        initial = {"user": request.user.pk, **super().get_changeform_initial_data(request)}
        for name in ("starts_at", "ends_at"):
            initial[name] = _datetime_or_none(initial.get(name))  # the split widget needs a datetime
        return initial

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.cleaned_data}
        try:
            by_admin = is_admin(request.user)
            saved = (reservations.edit(obj, values, by=request.user, is_admin=by_admin) if change
                     else reservations.book(values, by=request.user, is_admin=by_admin))
        except DomainError as exc:  # a booking that won the GPU between the form's check and this save
            transaction.set_rollback(True)
            request._reservation_refused = "; ".join(exc.messages())
            return
        obj.pk = saved.pk

    def _refused(self, request):
        message = getattr(request, "_reservation_refused", None)
        if message is not None:
            self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return None

    def response_add(self, request, obj, post_url_continue=None):
        return self._refused(request) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._refused(request) or super().response_change(request, obj)

    def save_related(self, request, form, formsets, change):
        pass  # no relations of its own beyond the form's fields, which the service saved


# The calendar, the Extend page of a held GPU and the dashboard's reservations (admin_calendar).
admin.site.add_page("inventory/reservations/calendar/", admin_calendar.calendar_view,
                    name="inventory_reservation_calendar")
admin.site.add_page("inventory/gpu/<int:gpu_id>/extend/", admin_calendar.extend_view, name="inventory_gpu_extend")
admin.site.add_index_context("reservations_today", admin_calendar.reservations_today)
