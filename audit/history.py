"""The history models of every audited model (django-simple-history), made one way."""
from simple_history.models import HistoricalRecords

from .context import history_user


class _AllFieldsBut:
    """``no_db_index`` that names every field but ``kept``: history rows are looked up by
    the object's id (per-object history, revert) and by date, never by the copied columns,
    yet each copied index (a dozen per table, with text-pattern twins on PostgreSQL) would
    cost every write of the object."""

    def __init__(self, *kept):
        self.kept = kept

    def __contains__(self, name):
        return name not in self.kept


def history_records(**options):
    """``HistoricalRecords`` recording the acting user, indexed on the object's id only
    (simple-history adds its own indexes on ``history_date`` and ``history_user``)."""
    return HistoricalRecords(get_user=history_user, no_db_index=_AllFieldsBut("id"), **options)
