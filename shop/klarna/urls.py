"""Klarna hosts per environment and region (API.md §0.2), and safe path building."""
from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

_HOSTS = {
    ("production", "eu"): "https://api.klarna.com",
    ("production", "na"): "https://api-na.klarna.com",
    ("production", "oc"): "https://api-oc.klarna.com",
    ("playground", "eu"): "https://api.playground.klarna.com",
    ("playground", "na"): "https://api-na.playground.klarna.com",
    ("playground", "oc"): "https://api-oc.playground.klarna.com",
}
ENVIRONMENTS = ("playground", "production")
REGIONS = ("eu", "na", "oc")


def base_url_for(environment: str, region: str) -> str:
    """Base URL for `environment` ("playground"|"production") and `region` ("eu"|"na"|"oc")."""
    key = (environment.strip().lower(), region.strip().lower())
    try:
        return _HOSTS[key]
    except KeyError:
        raise ValueError(
            f"unknown Klarna environment/region {environment!r}/{region!r}; "
            f"environment is one of {ENVIRONMENTS}, region one of {REGIONS}"
        ) from None


def api_path(*segments: str) -> str:
    """Join segments into a path, each one percent-quoted so an id can never add a segment."""
    return "/" + "/".join(_quoted_segment(segment) for segment in segments)


def _quoted_segment(segment: str) -> str:
    # "." and ".." survive quoting and would be collapsed by URL normalisation.
    if not isinstance(segment, str) or segment in ("", ".", ".."):
        raise ValueError(f"invalid Klarna id or path segment: {segment!r}")
    return quote(segment, safe="")


def last_path_segment(url: str) -> str:
    """The last segment of an absolute or relative URL, e.g. the id in a `Location` header."""
    path = urlsplit(url).path.rstrip("/")
    return unquote(path.rsplit("/", 1)[-1])
