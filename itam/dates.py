"""Calendar days as datetime bounds, at the calendar's ends too (year 1 and 9999), so a
day filter is answered for any date a client can type, never an OverflowError."""
from datetime import datetime, time, timedelta, timezone

UTC = timezone.utc


def midnight(day, tz=UTC, days_later=0):
    """Midnight starting ``day`` (+ ``days_later`` days), clamped to the calendar's ends."""
    try:
        return datetime.combine(day + timedelta(days=days_later), time.min, tz)
    except OverflowError:
        return datetime.max.replace(tzinfo=tz) if days_later > 0 else datetime.min.replace(tzinfo=tz)
