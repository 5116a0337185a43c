"""factory_boy factories shared by every app's tests."""
from datetime import timedelta

import factory
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from inventory.models import (
    GPU, Container, Datacenter, Environment, GPUAssignment, GpuReservation, PortMapping, Server, Service,
)
from inventory.services import gpu_assignment


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    role = Role.USER
    password = factory.PostGenerationMethodCall("set_password", "Secret-pass-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    role = Role.ADMIN


class DatacenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Datacenter

    name = factory.Sequence(lambda n: f"DC-{n}")
    location = "Building A"


class EnvironmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Environment
        django_get_or_create = ("code",)

    code = "prod"
    name = factory.LazyAttribute(lambda o: {"prod": "Production", "staging": "Staging", "test": "Test", "dev": "Development"}.get(o.code, o.code.title()))
    color = "#F56C6C"
    sort_order = 1


class ServerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Server

    name = factory.Sequence(lambda n: f"srv-{n:03d}")
    datacenter = factory.SubFactory(DatacenterFactory)
    environment = factory.SubFactory(EnvironmentFactory)
    internal_ip = factory.Sequence(lambda n: f"10.0.{n // 250}.{n % 250 + 1}")
    cpu_cores = 16
    memory_gb = 64
    disk_gb = 500
    os_type = "Ubuntu 22.04"


class ContainerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Container

    name = factory.Sequence(lambda n: f"ctr-{n:03d}")
    server = factory.SubFactory(ServerFactory)
    owner = factory.SubFactory(UserFactory)
    image = "nginx:1.27"


class PortMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PortMapping

    container = factory.SubFactory(ContainerFactory)
    container_port = 80
    internal_port = factory.Sequence(lambda n: 20000 + n)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"svc-{n:03d}")
    container = factory.SubFactory(ContainerFactory)
    owner = factory.SelfAttribute("container.owner")
    service_type = "web"
    port = 8080


class GPUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GPU

    server = factory.SubFactory(ServerFactory)
    model = "NVIDIA A100"
    memory_gb = 80
    index = factory.Sequence(lambda n: n % 16)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """A GPU given ``assigned_to`` is held as the database requires: with its open
        assignment (which a later ``GPUAssignmentFactory`` for that user takes over)."""
        holder = kwargs.pop("assigned_to", None)
        if holder is not None:
            kwargs.pop("status", None)  # a holder decides it
        gpu = super()._create(model_class, *args, **kwargs)
        if holder is not None:
            hold(gpu, holder)
        return gpu


class GPUAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GPUAssignment

    gpu = factory.SubFactory(GPUFactory)
    user = factory.SubFactory(UserFactory)
    user_name = factory.LazyAttribute(lambda o: o.user.display_name)
    assigned_by_name = "Admin"
    assigned_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """An open assignment makes its user the GPU's holder (or takes over the open
        assignment ``GPUFactory(assigned_to=...)`` made for that user); a released one is history."""
        if kwargs.get("released_at") is not None:
            return super()._create(model_class, *args, **kwargs)
        gpu, user = kwargs["gpu"], kwargs["user"]
        assignment = GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True).first()
        if assignment is None or assignment.user_id != user.pk:
            assignment = hold(gpu, user)
        for name, value in kwargs.items():
            setattr(assignment, name, value)
        assignment.save()
        return assignment


class GpuReservationFactory(factory.django.DjangoModelFactory):
    """A pending booking an hour from now (test data; the service books real ones)."""

    class Meta:
        model = GpuReservation

    gpu = factory.SubFactory(GPUFactory)
    user = factory.SubFactory(UserFactory)
    purpose = "training"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))


def hold(gpu, user):
    """Make ``user`` the holder of ``gpu`` with an open assignment (test data, no audit action)."""
    with transaction.atomic():  # the rows refer to each other: checked together at commit
        gpu.refresh_from_db()
        gpu_assignment.set_holder(gpu, user)
        gpu.save()
        assignment = gpu_assignment.new_assignment(gpu, user, by=None, by_name="Admin", assigned_at=timezone.now())
        assignment.save()
    return assignment
