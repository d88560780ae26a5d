"""The languages an order's catalogue texts are looked up in, outside a storefront request."""
from __future__ import annotations

from sqlmodel import Session, select

from .models import ShopVersion


def order_languages(session: Session, language: str) -> tuple[str, ...]:
    """`language`, then the default shop version's language (else the first version's)."""
    default_locale = session.exec(
        select(ShopVersion.locale).order_by(ShopVersion.is_default.desc(), ShopVersion.position, ShopVersion.id)  # type: ignore[attr-defined]
    ).first()
    return lookup_languages(language, default_locale.split("-")[0] if default_locale else None)


def lookup_languages(language: str, default_language: str | None) -> tuple[str, ...]:
    """Where a catalogue text is looked for: `language`, then the default version's when it differs."""
    return (language, default_language) if default_language and default_language != language else (language,)
