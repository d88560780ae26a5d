from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC timestamps; the database columns store and return UTC."""
    return datetime.now(UTC)
