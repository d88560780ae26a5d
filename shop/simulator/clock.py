"""A movable clock: real time plus an offset that tests and the portal can advance."""
from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta, timezone

UTC = timezone.utc


def iso(moment: datetime) -> str:
    """Klarna's timestamp format: ISO 8601, UTC, milliseconds, trailing Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def midnight_after(day: date, days: int) -> datetime:
    """00:00Z of the calendar day `days` after `day`."""
    return datetime.combine(day + timedelta(days=days), time(0), tzinfo=UTC)


class Clock:
    """Wall-clock time shifted by an offset; the offset is kept in the store so it survives restarts."""

    META_KEY = "clock"

    def __init__(self, store=None):
        self._store = store
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        if store is not None:
            saved = store.get("meta", self.META_KEY)
            if saved:
                self._offset = timedelta(seconds=saved["offset_seconds"])

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
        step = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if step < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._set_offset(self._offset + step)
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._set_offset(timedelta(0))

    def _set_offset(self, offset: timedelta) -> None:
        self._offset = offset
        if self._store is not None:
            self._store.put("meta", self.META_KEY, {"offset_seconds": offset.total_seconds()})
