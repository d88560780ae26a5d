"""Where Klarna Payments is offered: country, currency and locale combinations (API.md §7)."""
from __future__ import annotations

# country -> (currency, locales)
KLARNA_MARKETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "AU": ("AUD", ("en-AU",)), "AT": ("EUR", ("de-AT", "en-AT")), "BE": ("EUR", ("nl-BE", "fr-BE", "en-BE")),
    "CA": ("CAD", ("en-CA", "fr-CA")), "CZ": ("CZK", ("cs-CZ", "en-CZ")), "DK": ("DKK", ("da-DK", "en-DK")),
    "FI": ("EUR", ("fi-FI", "sv-FI", "en-FI")), "FR": ("EUR", ("fr-FR", "en-FR")), "DE": ("EUR", ("de-DE", "en-DE")),
    "GR": ("EUR", ("el-GR", "en-GR")), "HU": ("HUF", ("hu-HU", "en-HU")), "IE": ("EUR", ("en-IE",)),
    "IT": ("EUR", ("it-IT", "en-IT")), "MX": ("MXN", ("en-MX", "es-MX")), "NL": ("EUR", ("nl-NL", "en-NL")),
    "NZ": ("NZD", ("en-NZ",)), "NO": ("NOK", ("nb-NO", "en-NO")), "PL": ("PLN", ("pl-PL", "en-PL")),
    "PT": ("EUR", ("pt-PT", "en-PT")), "RO": ("RON", ("ro-RO", "en-RO")), "SK": ("EUR", ("sk-SK", "en-SK")),
    "ES": ("EUR", ("es-ES", "en-ES")), "SE": ("SEK", ("sv-SE", "en-SE")),
    "CH": ("CHF", ("de-CH", "fr-CH", "it-CH", "en-CH")), "GB": ("GBP", ("en-GB",)), "US": ("USD", ("en-US", "es-US")),
}


def unsupported_reason(country: str, currency: str, locale: str) -> str | None:
    """Why Klarna cannot be offered for this combination, or None when it can."""
    market = KLARNA_MARKETS.get(country.upper())
    if market is None:
        return f"Klarna does not operate in {country}"
    expected_currency, locales = market
    if currency.upper() != expected_currency:
        return f"Klarna takes only {expected_currency} in {country}, not {currency}"
    if locale not in locales:
        return f"Klarna does not support the locale {locale} in {country} (use {', '.join(locales)})"
    return None


def supports(country: str, currency: str, locale: str) -> bool:
    return unsupported_reason(country, currency, locale) is None
