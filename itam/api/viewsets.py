"""The base viewset of every resource: resource viewsets only name their querysets,
serializers, filters and permissions (NetBox style).

Behaviour shared by all resources (API.md §1):
- ``PUT`` is a partial update, ``PATCH`` the same;
- a write answers with the object exactly as ``GET /{resource}/{id}`` shows it, re-read
  through the detail queryset: create -> 201, update -> 200, delete -> 200 with ``data: null``;
  messages "<Noun> created." / "updated." / "deleted.";
- every write runs in one transaction; the object is locked (``select_for_update``) while a
  write decides on it; the serializer validates, the resource's ``service`` writes;
- a body that is not a JSON object -> 400;
- checks in the order of §1.4: DRF authenticates and checks the role before dispatching
  (so before 405); the object lookup (404) comes before the ownership check (403);
- deleting an object still referenced (``on_delete=PROTECT``) -> 422 naming what is left
  (the service's conflict).
"""
from collections.abc import Mapping

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from .compiled import CompiledReadMixin
from .permissions import IsOwnerOrAdmin, ReadOnlyOrAdmin


class PartialPutSchema(AutoSchema):
    """OpenAPI: a PUT body is partial (every field optional), as PATCH."""

    def get_request_serializer(self):
        serializer = super().get_request_serializer()
        if self.method == "PUT" and isinstance(serializer, serializers.BaseSerializer):
            serializer.partial = True
        return serializer


class ResourceViewSet(CompiledReadMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    schema = PartialPutSchema()
    lookup_value_regex = "[0-9]+"
    permission_classes = [ReadOnlyOrAdmin]  # any user reads, admins write (API.md §2)
    # Lists read ``queryset``; the detail endpoint and write responses read ``detail_queryset``.
    detail_queryset = None
    detail_serializer_class = None
    # What writes the resource: ``create(values, *, creator)``, ``update(instance, values)``
    # and ``delete(instance)``, each returning or raising as a service does (itam.errors).
    service = None

    @property
    def noun(self):
        name = self.queryset.model._meta.verbose_name
        return name[:1].upper() + name[1:]

    def get_detail_queryset(self):
        return (self.detail_queryset if self.detail_queryset is not None else self.queryset).all()

    def get_serializer_class(self):
        if self.action != "list" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.serializer_class

    def get_object(self):
        """The object of the URL: 404 first, then the ownership check (403). Writes lock the
        row and read only the model's own columns; the response is re-read afterwards."""
        if self.request.method in SAFE_METHODS:
            queryset = self.get_detail_queryset()
        else:
            queryset = self.queryset.model._default_manager.select_for_update(of=("self",))
        obj = get_object_or_404(queryset, pk=self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, obj)
        return obj

    def request_object(self):
        if not isinstance(self.request.data, Mapping):
            raise exceptions.ParseError("the body must be a JSON object.")
        return self.request.data

    def written(self, instance, verb, status=200):
        fresh = self.get_detail_queryset().get(pk=instance.pk)
        response = Response(self.get_serializer(fresh).data, status=status)
        response.message = f"{self.noun} {verb}."
        return response

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=self.request_object())
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return self.written(serializer.instance, "created", status=201)

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=self.request_object(), partial=True)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return self.written(serializer.instance, "updated")

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @extend_schema(responses={200: None})
    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        response = Response(None)
        response.message = f"{self.noun} deleted."
        return response

    # The serializer has validated; the service writes.
    def perform_create(self, serializer):
        serializer.instance = self.service.create(serializer.validated_data, creator=self.request.user)

    def perform_update(self, serializer):
        serializer.instance = self.service.update(serializer.instance, serializer.validated_data)

    def perform_destroy(self, instance):
        self.service.delete(instance)


class OwnedResourceViewSet(ResourceViewSet):
    """Any user may create (and becomes the owner: the service's rule); only the owner or an
    admin may change."""

    permission_classes = [IsOwnerOrAdmin]
