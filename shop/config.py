"""Configuration: defaults, then SHOP_* environment variables, then explicit overrides.

Secrets come only from the environment (or, for a developer's machine, a key file
generated once under instance/).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None -> sqlite file under instance/
    "PUBLIC_URL": None,  # absolute base for Klarna merchant URLs; None -> from the request
    "KLARNA_BASE_URL": None,  # overrides every Klarna method's base URL (test doubles, proxies)
    "KLARNA_TIMEOUT_CONNECT": 5.0,
    "KLARNA_TIMEOUT_READ": 30.0,
    "SIMULATOR_ENABLED": False,  # mount the offline Klarna simulator at /_klarna (`make run` and the tests do)
    "SIMULATOR_ALLOW_IN_PRODUCTION": False,  # the simulator with https or PostgreSQL refuses to start without it
    "SIMULATOR_STORAGE": None,  # None -> instance/klarna-simulator.sqlite3
    "SIMULATOR_USERNAME": "PK_demo_12345",
    "SIMULATOR_SECRET": "demo-shared-secret",
    "DEFAULT_VERSION": "fi",
    "ADMIN_DEFAULT_LOCALE": "fi",
    "ORDERS_PER_PAGE": 25,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,  # also on whenever PUBLIC_URL is https
    "REDIS_URL": None,  # shared storage of the rate limits (every worker, every machine); None: in memory
    "TRUSTED_PROXIES": 0,  # reverse proxies in front of the shop whose X-Forwarded-* headers count
    "LOGIN_RATE_LIMIT": "5 per minute; 20 per hour",  # failed admin logins, per address and per account
    "WRITE_RATE_LIMIT": "10 per minute; 100 per hour",  # checkouts and other costly anonymous writes
    "CART_RATE_LIMIT": "60 per minute",  # cart adds: a busy shopper is far below it
    "CALLBACK_RATE_LIMIT": "30 per minute",  # Klarna's calls, per order token
    # The shop's name and contact details, shown in every customer e-mail.
    "MERCHANT_NAME": "Nordshop",
    "MERCHANT_EMAIL": "shop@example.com",
    "MERCHANT_PHONE": "",
    "MERCHANT_ADDRESS": "",
    # Outgoing mail (shop/mail): without SMTP_HOST the outbox keeps every message undelivered.
    "SMTP_HOST": "",
    "SMTP_PORT": 0,  # 0 -> 465 for ssl, 587 for starttls, 25 for none
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_TLS": "starttls",  # starttls, ssl or none
    "SMTP_TIMEOUT": 30.0,
    "MAIL_SENDER": "",  # From: of customer e-mails; "" -> MERCHANT_NAME <MERCHANT_EMAIL>
    "MAIL_SEND_IN_BACKGROUND": True,  # deliver from a thread after a request that queued mail
    # Product images (shop/images): the directory of their resized files, and what an upload may be.
    "MEDIA_DIR": None,  # None -> instance/media
    "IMAGE_MAX_BYTES": 10 * 1024 * 1024,
    "IMAGE_MAX_PIXELS": 40_000_000,  # refused before decoding: a small file may unpack into gigabytes
    "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,  # a bigger request is answered 413 before it is read
}

# Read from the environment as SHOP_<NAME>; booleans and numbers are parsed.
ENVIRONMENT_KEYS = (
    "SECRET_KEY", "DATABASE_URL", "PUBLIC_URL", "KLARNA_BASE_URL", "SIMULATOR_ENABLED",
    "SIMULATOR_STORAGE", "DEFAULT_VERSION", "KLARNA_TIMEOUT_CONNECT", "KLARNA_TIMEOUT_READ",
    "SESSION_COOKIE_SECURE", "SIMULATOR_ALLOW_IN_PRODUCTION", "REDIS_URL", "TRUSTED_PROXIES",
    "MERCHANT_NAME", "MERCHANT_EMAIL", "MERCHANT_PHONE", "MERCHANT_ADDRESS",
    "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_TLS", "SMTP_TIMEOUT", "MAIL_SENDER",
    "MAIL_SEND_IN_BACKGROUND", "MEDIA_DIR",
)


def _parse(value: str, default: Any) -> Any:
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, float):
        return float(value)
    if isinstance(default, int):
        return int(value)
    return value


def _development_secret_key(instance_path: Path) -> str:
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    config = dict(DEFAULTS)
    for key in ENVIRONMENT_KEYS:
        raw = os.environ.get(f"SHOP_{key}")
        if raw not in (None, ""):
            config[key] = _parse(raw, DEFAULTS.get(key, ""))
    config.update(overrides or {})
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _development_secret_key(instance_path)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'shop.sqlite3'}"
    if (config.get("PUBLIC_URL") or "").lower().startswith("https://"):
        config["SESSION_COOKIE_SECURE"] = True  # served over https: the cookie never travels in clear
    if not config.get("MEDIA_DIR"):
        config["MEDIA_DIR"] = str(instance_path / "media")
    if not config.get("SIMULATOR_STORAGE"):
        config["SIMULATOR_STORAGE"] = str(instance_path / "klarna-simulator.sqlite3")
    return config
