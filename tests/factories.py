"""factory_boy factories shared by every app's tests."""
import factory
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from inventory.models import GPU, Container, Datacenter, Environment, GPUAssignment, PortMapping, Server, Service


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


class GPUAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GPUAssignment

    gpu = factory.SubFactory(GPUFactory)
    user = factory.SubFactory(UserFactory)
    user_name = factory.LazyAttribute(lambda o: o.user.display_name)
    assigned_by_name = "Admin"
    assigned_at = factory.LazyFunction(timezone.now)
