"""Webhooks in the Django admin: create and edit them (through ``webhooks.services``, the
rules of the API), send a test event, and read every delivery attempt (read-only)."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from itam.admin_mixins import ReadOnlyAdminMixin, ServiceDeleteMixin
from itam.errors import DomainError

from . import addresses, delivery, events, services
from .models import Webhook, WebhookDelivery

RECENT = 10


class EventsField(forms.CharField):
    """Event names as text, separated by commas or line breaks."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [name.strip() for name in (value or "").replace("\n", ",").split(",") if name.strip()]


class WebhookForm(forms.ModelForm):
    events = EventsField(help_text=format_html(
        "Comma-separated <code>resource_type.action</code>, <code>resource_type.*</code> or <code>*</code>. "
        "Resource types: {}. Actions: {}.", ", ".join(events.resource_types()), ", ".join(events.Action.values)))
    secret = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), strip=False,
        help_text="Signs each body (X-ITAM-Signature). Leave blank to keep the current secret.")
    clear_secret = forms.BooleanField(required=False, help_text="Remove the secret: deliveries go unsigned.")

    class Meta:
        model = Webhook
        fields = ["name", "url", "events", "secret", "enabled"]

    def clean_events(self):
        return _as_form_error(services.clean_events, self.cleaned_data["events"])

    def clean_url(self):
        _as_form_error(addresses.check, self.cleaned_data["url"])
        return self.cleaned_data["url"]

    def values(self):
        """The fields to write: what changed; the secret only when typed or cleared."""
        values = {name: self.cleaned_data[name] for name in ("name", "url", "events", "enabled")}
        if self.cleaned_data.get("clear_secret"):
            values["secret"] = ""
        elif self.cleaned_data.get("secret"):
            values["secret"] = self.cleaned_data["secret"]
        return values


def _as_form_error(check, value):
    try:
        return check(value)
    except DomainError as exc:
        raise ValidationError(exc.messages()) from None


@admin.register(Webhook)
class WebhookAdmin(ServiceDeleteMixin, SimpleHistoryAdmin):
    form = WebhookForm
    list_display = ("name", "url", "enabled", "consecutive_failures", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("name", "url")
    fields = ("name", "url", "events", "secret", "clear_secret", "enabled", "consecutive_failures",
              "recent_deliveries")
    readonly_fields = ("consecutive_failures", "recent_deliveries")
    actions = ["send_test_event"]

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        values = form.values()
        try:
            if change:
                stored = Webhook.objects.select_for_update().get(pk=obj.pk)
                saved = services.update_webhook(stored, values)
            else:
                saved = services.create_webhook(values)
        except DomainError as exc:  # a name taken meanwhile
            raise ValidationError(exc.messages()) from None
        obj.pk = saved.pk

    def delete_object(self, request, obj):
        services.delete_webhook(obj)

    @admin.display(description="Recent deliveries")
    def recent_deliveries(self, obj):
        if obj.pk is None:
            return "-"
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>#{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
            ((a.created_at.strftime("%Y-%m-%d %H:%M:%S"), a.event, a.attempt, a.status_code or "-", a.duration_ms,
              a.error or ("ok" if a.succeeded else "")) for a in obj.deliveries.all()[:RECENT]),
        )
        link = reverse("admin:webhooks_webhookdelivery_changelist") + f"?webhook__id__exact={obj.pk}"
        return format_html(
            '<table class="webhook-deliveries"><tr><th>Time (UTC)</th><th>Event</th><th>Attempt</th><th>Status</th>'
            '<th>Duration</th><th>Result</th></tr>{}</table><p><a href="{}">All delivery attempts</a></p>',
            rows or format_html('<tr><td colspan="6">None yet.</td></tr>'), link)

    @admin.action(description="Send a test event to the selected webhooks")
    def send_test_event(self, request, queryset):
        for webhook in queryset:
            record = delivery.send_test(webhook)
            level = messages.SUCCESS if record.succeeded else messages.ERROR
            result = f"HTTP {record.status_code}" if record.status_code else record.error
            self.message_user(request, f"Test event to {webhook.name}: {result} in {record.duration_ms} ms.", level)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "webhook", "event", "attempt", "succeeded", "status_code", "duration_ms", "error",
                    "next_attempt_at")
    list_filter = ("succeeded", "webhook")
    list_select_related = ("webhook",)
    search_fields = ("event", "delivery_id")
    list_per_page = 50
