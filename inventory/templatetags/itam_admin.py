"""Template helpers of the ITAM admin pages (dashboard, tree)."""
from django import template

from ..admin_actions import holder_name
from ..admin_mixins import badge
from ..choices import ContainerStatus, GPUStatus, ServerStatus, ServiceStatus

register = template.Library()

STATUS_CHOICES = {"server": ServerStatus, "container": ContainerStatus, "service": ServiceStatus, "gpu": GPUStatus}


@register.simple_tag
def status_badge(obj):
    """The object's status as a badge in its colour (``choices.py``)."""
    return badge(obj.get_status_display(), STATUS_CHOICES[obj._meta.model_name].color(obj.status))


@register.simple_tag
def environment_badge(environment):
    return badge(environment.name, environment.color)


@register.simple_tag
def holder(gpu):
    """Who holds the GPU, named as everywhere in the admin (``admin_actions.holder_name``)."""
    return holder_name(gpu)
