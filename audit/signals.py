"""Connects the recorder to django-simple-history and Django's delete signals (the latter
per audited model, as each is registered: ``audit.registry.register``)."""
from simple_history.signals import post_create_historical_record

from . import recorder


def on_history_record(sender, instance, history_instance, **kwargs):
    recorder.record(instance, history_instance)


def on_pre_delete(sender, instance, origin=None, **kwargs):
    recorder.record_delete(instance, origin)


def connect():
    post_create_historical_record.connect(on_history_record, dispatch_uid="audit.history_record")
