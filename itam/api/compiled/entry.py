"""The one entry point of compiled reads, and its fallback to plain DRF.

Every compiled read (a list page, a detail, the tree's levels, the search's groups) goes
through ``read``: the compiled path unless compiled reads are switched off (the setting
``COMPILED_READS``, False in the equality tests' second run) or the serializer fell back
earlier; when the compiled layer cannot give a serializer's output (``NotCompiled``), the
reason is logged and kept in ``FALLBACKS`` and plain DRF answers, now and afterwards.
"""
import logging

from django.conf import settings

from .render import NotCompiled, renderer_for

logger = logging.getLogger(__name__)

FALLBACKS = {}  # serializer class -> why the compiled layer cannot render it


def enabled():
    return getattr(settings, "COMPILED_READS", True)


def read(serializer_class, compiled, plain):
    """``compiled()``, or ``plain()`` (DRF's own serialisation of the same request)."""
    if serializer_class in FALLBACKS or not enabled():
        return plain()
    try:
        return compiled()
    except NotCompiled as exc:
        FALLBACKS[serializer_class] = str(exc)
        logger.warning("compiled reads: %s answers through plain DRF: %s", serializer_class.__name__, exc)
        return plain()


def render_many(serializer_class, queryset):
    """What ``serializer_class(queryset, many=True).data`` gives, as a list of dicts."""
    return read(serializer_class, lambda: renderer_for(serializer_class).render_many(queryset),
                lambda: serializer_class(queryset, many=True).data)
