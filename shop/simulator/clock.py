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
    """Wall-clock time shifted by an offset. With a store, the offset lives in it, read on every use:
    every process on the same storage file (gunicorn's workers) sees a move at once, and it survives
    restarts."""

    META_KEY = "clock"

    def __init__(self, store=None):
        self._store = store
        self._lock = threading.Lock()
        self._offset = timedelta(0)  # only without a store

    @property
    def offset(self) -> timedelta:
        if self._store is None:
            return self._offset
        saved = self._store.get("meta", self.META_KEY)
        return timedelta(seconds=saved["offset_seconds"]) if saved else timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
        step = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if step < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._changing():
            self._set_offset(self.offset + step)
        return self.now()

    def reset(self) -> None:
        with self._changing():
            self._set_offset(timedelta(0))

    def _changing(self):
        return self._lock if self._store is None else self._store.transaction()

    def _set_offset(self, offset: timedelta) -> None:
        if self._store is None:
            self._offset = offset
        else:
            self._store.put("meta", self.META_KEY, {"offset_seconds": offset.total_seconds()})
