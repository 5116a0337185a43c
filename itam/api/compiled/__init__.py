"""Compiled reads: a serializer's output rendered from ``.values()`` rows by statements
compiled once, byte for byte what DRF gives (see README.md in this package).

- ``CompiledReadMixin``: a viewset's ``list`` and ``retrieve``;
- ``render_many(serializer_class, queryset)``: a list of objects (tree, search);
- ``reads(field, "relation__column")``: what a computed field reads beyond its row.
"""
from .entry import FALLBACKS, enabled, read, render_many
from .render import NotCompiled, reads, renderer_for
from .views import CompiledReadMixin

__all__ = ["FALLBACKS", "CompiledReadMixin", "NotCompiled", "enabled", "read", "reads", "render_many", "renderer_for"]
