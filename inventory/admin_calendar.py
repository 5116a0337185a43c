"""Admin pages of GPU reservations beyond the ModelAdmin: the week calendar per server or
datacenter (GPUs as rows, 6-hour slots as columns; bookings and current holds as bars; a
free slot links to the booking form, prefilled), the Extend page of a held GPU, and what
the dashboard shows (today's starts and ends, failed reservations). Reads only; writes go
through ``inventory.services`` (extend: ``gpu_assignment.extend_gpu``)."""
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from itam.access import is_admin
from itam.errors import DomainError

from .admin_actions import may_extend
from .choices import HOLDING_RESERVATION, ReservationStatus
from .models import GPU, Datacenter, GPUAssignment, GpuReservation, Server
from .services.gpu_assignment import extend_gpu
from .services.reservations import windows_overlap

SLOT_HOURS = 6
DAYS = 7


def _week_start(request):
    try:
        day = datetime.strptime(request.GET.get("week", ""), "%Y-%m-%d").date()
    except ValueError:
        day = timezone.now().date()
    return datetime.combine(day - timedelta(days=day.weekday()), time.min, tzinfo=UTC)


def _gpus(request):
    """The GPUs of the server or datacenter the page is for (``?server=`` / ``?datacenter=``)."""
    gpus = GPU.objects.select_related("server__datacenter", "assigned_to").order_by("server__name", "index", "id")
    if request.GET.get("server", "").isdigit():
        place = get_object_or_404(Server, pk=request.GET["server"])
        return place, gpus.filter(server=place)
    if request.GET.get("datacenter", "").isdigit():
        place = get_object_or_404(Datacenter, pk=request.GET["datacenter"])
        return place, gpus.filter(server__datacenter=place)
    return None, gpus.none()


def _row(gpu, slots, bookings, hold, now):
    """One GPU's cells: each slot booked (the booking), held (the holder) or free (a link)."""
    cells = []
    for start, end in slots:
        booking = next((b for b in bookings if windows_overlap(b.starts_at, b.ends_at, start, end)), None)
        held = hold is not None and start < (hold.expires_at or end) and end > now
        if booking is not None:
            cells.append({"kind": f"booked {booking.status}", "title": f"{booking.user.display_name}: "
                          f"{booking.purpose or ''} ({booking.status})", "link": reverse(
                              "admin:inventory_gpureservation_change", args=[booking.pk])})
        elif held:
            cells.append({"kind": "held", "title": f"held by {hold.user_name}", "link": ""})
        elif end <= now:
            cells.append({"kind": "past", "title": "", "link": ""})
        else:
            begin = max(start, now).replace(microsecond=0)
            query = urlencode({"gpu": gpu.pk, "starts_at": begin.isoformat(), "ends_at": end.isoformat()})
            cells.append({"kind": "free", "title": "free: book", "link":
                          f"{reverse('admin:inventory_gpureservation_add')}?{query}"})
    return cells


def calendar_view(request, site):
    place, gpus = _gpus(request)
    start = _week_start(request)
    end = start + timedelta(days=DAYS)
    now = timezone.now()
    slots = [(start + timedelta(hours=h), start + timedelta(hours=h + SLOT_HOURS))
             for h in range(0, DAYS * 24, SLOT_HOURS)]
    gpus = list(gpus)
    bookings = {}
    for booking in GpuReservation.objects.filter(gpu__in=gpus, status__in=[*HOLDING_RESERVATION,
                                                 ReservationStatus.COMPLETED], starts_at__lt=end, ends_at__gt=start
                                                 ).select_related("user"):
        bookings.setdefault(booking.gpu_id, []).append(booking)
    holds = {a.gpu_id: a for a in GPUAssignment.objects.filter(gpu__in=gpus, released_at__isnull=True)}
    rows = [{"gpu": gpu, "cells": _row(gpu, slots, bookings.get(gpu.pk, []), holds.get(gpu.pk), now)} for gpu in gpus]
    context = {
        **site.each_context(request), "title": f"Reservations: week of {start:%Y-%m-%d}" + (
            f" — {place}" if place else ""),
        "place": place, "rows": rows, "days": [start + timedelta(days=d) for d in range(DAYS)],
        "slots_per_day": 24 // SLOT_HOURS, "slot_hours": [s.strftime("%H") for s, _ in slots[:24 // SLOT_HOURS]],
        "previous": _week_link(request, start - timedelta(days=DAYS)), "next": _week_link(request, end),
        "servers": Server.objects.order_by("name")[:500], "datacenters": Datacenter.objects.order_by("name"),
    }
    return TemplateResponse(request, "admin/inventory/reservation_calendar.html", context)


def _week_link(request, day):
    query = request.GET.copy()
    query["week"] = day.strftime("%Y-%m-%d")
    return f"?{query.urlencode()}"


# --- Extend ------------------------------------------------------------------------------

class ExtendForm(forms.Form):
    expires_at = forms.SplitDateTimeField(
        required=False, widget=AdminSplitDateTime, label="Expires at",
        help_text="UTC. Empty: no expiry. Not into another user's booking.",
    )


def extend_view(request, site, gpu_id):
    """The holder or an admin moves a held GPU's expiry (``extend_gpu``, API.md §11.1)."""
    gpu = GPU.objects.select_related("server", "assigned_to").filter(pk=gpu_id).first()
    if gpu is None:
        raise Http404("No such GPU.")
    if not may_extend(gpu, request.user):
        raise PermissionDenied
    by_admin = is_admin(request.user)
    held = GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True).first()
    form = ExtendForm(request.POST if request.method == "POST" else None,
                      initial={"expires_at": held.expires_at if held else None})
    if request.method == "POST" and form.is_valid():
        try:
            extend_gpu(gpu.pk, form.cleaned_data["expires_at"], by=request.user, by_admin=by_admin)
        except DomainError as exc:
            for key, msgs in (exc.errors or {None: [exc.message]}).items():
                for message in msgs:
                    form.add_error("expires_at" if key == "expires_at" else None, message)
        else:
            messages.success(request, f"{gpu.label} extended.")
            return HttpResponseRedirect(reverse("admin:inventory_gpu_change", args=[gpu.pk]))
    context = {
        **site.each_context(request), "title": "Extend GPU", "submit_label": "Extend", "opts": GPU._meta,
        "form": form, "adminform": helpers.AdminForm(form, [(None, {"fields": ["expires_at"]})], {}),
        "media": form.media, "gpus": [gpu], "action": None, "next": "",
    }
    return TemplateResponse(request, "admin/inventory/gpu/assignment_form.html", context)


# --- dashboard -----------------------------------------------------------------------------

def reservations_today():
    now = timezone.now()
    day_start = datetime.combine(now.date(), time.min, tzinfo=UTC)
    day_end = day_start + timedelta(days=1)
    today = GpuReservation.objects.select_related("gpu__server__datacenter", "user").order_by("starts_at", "id")
    return {
        "starting": today.filter(starts_at__gte=day_start, starts_at__lt=day_end).exclude(
            status=ReservationStatus.CANCELLED),
        "ending": today.filter(ends_at__gte=day_start, ends_at__lt=day_end).exclude(status=ReservationStatus.CANCELLED),
        "failed": today.filter(status=ReservationStatus.FAILED).filter(Q(updated_at__gte=now - timedelta(days=7))),
    }
