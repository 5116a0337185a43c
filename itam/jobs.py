"""Background jobs: Django's Tasks API (``django_tasks``, the ``django.tasks`` of Django 6).

Define a job with ``@task`` from ``django_tasks`` in an app's ``tasks.py`` and enqueue it with
``enqueue_after_commit`` (never inside the request's transaction: a rolled-back write must send
nothing). Work that must happen every so often registers with ``@periodic(seconds)``; the
``run_scheduler`` command enqueues it on that rhythm, and ``run_worker`` runs what is queued,
with the backend the settings name (database by default, RQ on Redis to scale out).

A periodic job must be idempotent and safe when two workers run it at once (row locks or
conditional updates), and must catch up after downtime: it looks for everything due by now,
not for what became due in the last minute.
"""
from dataclasses import dataclass
from functools import partial

from django.db import transaction


@dataclass(frozen=True)
class Periodic:
    task: object  # a django_tasks Task
    seconds: int

    @property
    def name(self):
        return self.task.module_path


PERIODIC: dict[str, Periodic] = {}


def periodic(seconds):
    """Register a task (decorate the ``@task`` object) to be enqueued every ``seconds``."""

    def register(task):
        entry = Periodic(task, seconds)
        PERIODIC[entry.name] = entry
        return task

    return register


def enqueue_after_commit(task, *args, **kwargs):
    """Enqueue ``task`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=True)
