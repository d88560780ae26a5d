"""Setting up a Klarna payment method: credentials checked with Klarna before anything is kept,
the secret only ever held encrypted, and the shop versions where the method can be offered.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from shop.crypto import SecretUnavailable, decrypt_secret, encrypt_secret
from shop.klarna import KlarnaAuthenticationError, KlarnaError, KlarnaForbidden
from shop.models import PaymentMethod, ShopVersion

from . import markets
from .common import ProviderError
from .gateway import ENVIRONMENTS, REGIONS, KlarnaGateway

# HPP `options.payment_method_categories` (API.md §2.1); none chosen = whatever Klarna offers.
CATEGORIES = ("PAY_LATER", "PAY_OVER_TIME", "PAY_NOW", "DIRECT_DEBIT", "DIRECT_BANK_TRANSFER")
PLACE_ORDER_MODES = ("NONE", "PLACE_ORDER", "CAPTURE_ORDER")
# Klarna's API host per market (API.md §7): North America and Oceania; every other market is EU.
REGION_BY_COUNTRY = {"US": "na", "CA": "na", "MX": "na", "AU": "oc", "NZ": "oc"}
CHECK_READ_TIMEOUT = 10.0  # seconds: a merchant is waiting on the page for this answer


class CredentialsRefused(ProviderError):
    """Klarna answered, and does not accept these credentials on this environment and region."""


@dataclass(frozen=True)
class KlarnaCredentials:
    """Credentials Klarna has accepted; the shared secret is kept only encrypted."""

    merchant_id: str
    environment: str
    region: str
    secret_encrypted: str

    @classmethod
    def of(cls, method: PaymentMethod) -> "KlarnaCredentials":
        settings = method.settings
        return cls(settings.get("merchant_id", ""), settings.get("environment", "playground"),
                   settings.get("region", "eu"), method.secret_encrypted)

    def is_account(self, merchant_id: str, environment: str, region: str) -> bool:
        return (self.merchant_id, self.environment, self.region) == (merchant_id, environment, region)

    @property
    def settings(self) -> dict[str, str]:
        return {"merchant_id": self.merchant_id, "environment": self.environment, "region": self.region}


def environments(gateway: KlarnaGateway) -> tuple[str, ...]:
    """The environments this installation can reach: the simulator only when it is mounted."""
    return ENVIRONMENTS if gateway.simulator_base_url else tuple(e for e in ENVIRONMENTS if e != "simulator")


def check_klarna_credentials(gateway: KlarnaGateway, settings: dict[str, Any], username: str,
                             secret: str) -> ProviderError | None:
    """Klarna's verdict on the credentials (one harmless authenticated GET); None when accepted."""
    try:
        client = gateway.client_for(settings, username, secret)
        client.timeout = (gateway.timeout[0], min(gateway.timeout[1], CHECK_READ_TIMEOUT))
        client.check_credentials()
    except (KlarnaAuthenticationError, KlarnaForbidden) as refused:
        return CredentialsRefused.from_klarna(refused)
    except KlarnaError as error:
        return ProviderError.from_klarna(error)
    except ValueError as error:  # an environment this installation cannot reach
        return ProviderError(str(error))
    return None


def accept(gateway: KlarnaGateway, merchant_id: str, environment: str, region: str,
           secret: str) -> KlarnaCredentials:
    """Check the credentials with Klarna and seal the secret; raises ProviderError when not accepted."""
    error = check_klarna_credentials(gateway, {"environment": environment, "region": region}, merchant_id, secret)
    if error is not None:
        raise error
    return KlarnaCredentials(merchant_id, environment, region, encrypt_secret(secret, gateway.secret_key))


def recheck(gateway: KlarnaGateway, current: KlarnaCredentials, merchant_id: str, environment: str, region: str,
            new_secret: str | None) -> KlarnaCredentials:
    """The credentials to keep after an edit: unchanged ones as they are, anything changed checked again."""
    if not new_secret and current.is_account(merchant_id, environment, region):
        return current
    secret = new_secret or _stored_secret(gateway, current)
    return accept(gateway, merchant_id, environment, region, secret)


def _stored_secret(gateway: KlarnaGateway, current: KlarnaCredentials) -> str:
    try:
        return decrypt_secret(current.secret_encrypted, gateway.secret_key)
    except SecretUnavailable:
        raise ProviderError(_("The stored shared secret cannot be read any more. "
                              "Type the shared secret again.")) from None


def klarna_settings(credentials: KlarnaCredentials, *, categories: list[str], place_order_mode: str,
                    auto_extend: bool) -> dict[str, Any]:
    return {**credentials.settings, "categories": [c for c in CATEGORIES if c in categories],
            "place_order_mode": place_order_mode, "auto_extend": bool(auto_extend)}


def unavailable_reason(method: PaymentMethod, version: ShopVersion) -> str | None:
    """Why `method` cannot be offered in `version` (translated), or None when it can."""
    return klarna_unavailable_reason(method.settings, version) if method.provider == "klarna" else None


def klarna_unavailable_reason(settings: dict[str, Any], version: ShopVersion) -> str | None:
    """Why a Klarna method with these settings cannot be offered in `version`: market, then API region."""
    country = version.country.upper()
    if markets.unsupported_reason(country, version.currency, version.locale) is not None:
        return _market_problem(country, version.currency, version.locale)
    region = settings.get("region", "eu")
    if settings.get("environment") != "simulator" and REGION_BY_COUNTRY.get(country, "eu") != region:
        return _("The method's Klarna account is for region %(region)s, which does not serve %(country)s.",
                 region=region.upper(), country=country)
    return None


def _market_problem(country: str, currency: str, locale: str) -> str:
    """markets.unsupported_reason's verdict, in the merchant's language."""
    market = markets.KLARNA_MARKETS.get(country)
    if market is None:
        return _("Klarna does not operate in %(country)s.", country=country)
    expected_currency, locales = market
    if currency.upper() != expected_currency:
        return _("Klarna takes only %(expected)s in %(country)s, not %(currency)s.",
                 expected=expected_currency, country=country, currency=currency)
    return _("Klarna does not support the language %(locale)s in %(country)s (use %(locales)s).",
             locale=locale, country=country, locales=", ".join(locales))


__all__ = [
    "CATEGORIES", "CredentialsRefused", "ENVIRONMENTS", "KlarnaCredentials", "PLACE_ORDER_MODES", "REGIONS",
    "accept", "check_klarna_credentials", "environments", "klarna_settings", "klarna_unavailable_reason", "recheck",
    "unavailable_reason",
]
