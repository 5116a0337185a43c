"""Every AuditLog entry, announced to whoever listens (webhooks), whichever path wrote it.

An entry is written one at a time by the history hook (``recorder``) or many at a time by
``bulk`` (imports, batches, seeding); both call ``announce`` with what they wrote, inside
the write's transaction. Listeners connect to ``entries_written`` and receive a list of
``Event``: a listener that acts outside the database must wait for the commit
(``transaction.on_commit``), so that a rolled-back write announces nothing.
"""
from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal

entries_written = Signal()  # kwargs: events (a list of Event)


@dataclass(frozen=True)
class Event:
    action: str
    resource_type: str
    resource_id: int
    resource_name: str | None
    changes: dict
    user_id: int | None
    username: str
    request_id: str | None
    created_at: datetime

    @property
    def name(self):
        """``<resource_type>.<action>``, e.g. ``server.create``, ``gpu.assign``."""
        return f"{self.resource_type}.{self.action}"

    @classmethod
    def of(cls, entry):
        """The event of an AuditLog instance."""
        return cls(**{name: getattr(entry, name) for name in cls.__dataclass_fields__})

    @classmethod
    def from_rows(cls, columns, rows):
        """The events of AuditLog value tuples in ``columns`` order (``bulk``'s rows)."""
        index = [columns.index(name) for name in cls.__dataclass_fields__]
        return [cls(*(row[i] for i in index)) for row in rows]


def listening():
    return entries_written.has_listeners()


def announce(events):
    if events and listening():
        entries_written.send(sender=Event, events=events)
