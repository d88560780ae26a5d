"""Static files: fingerprinted URLs that browsers keep for a year, and CSS and JavaScript sent gzipped.

`url_for('static', filename=...)` gets `?v=<content hash>`: a changed file gets a new URL, so the old
one may be cached forever. The files are read and compressed once, when the app starts.
A few files are also answered at the site root, where browsers and crawlers look for them.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, request

FINGERPRINT = "v"
COMPRESSED_TYPES = ("text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json")
FOREVER = 365 * 24 * 3600
ROOT_FILES = ("favicon.ico", "robots.txt")
ROOT_FILE_MAX_AGE = 24 * 3600  # their URL never changes: cached a day, then revalidated by ETag


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    mimetype: str
    fingerprint: str


def load_assets(folder: Path) -> dict[str, Asset]:
    assets = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        body = path.read_bytes()
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        compressible = mimetype in COMPRESSED_TYPES or mimetype.startswith("text/")
        gzipped = gzip.compress(body, compresslevel=9, mtime=0) if compressible else None
        assets[path.relative_to(folder).as_posix()] = Asset(
            body, gzipped if gzipped and len(gzipped) < len(body) else None, mimetype,
            hashlib.sha256(body).hexdigest()[:12])
    return assets


def init_app(app: Flask) -> None:
    assets = load_assets(Path(app.static_folder))
    app.extensions["static_assets"] = assets

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and values.get("filename") in assets:
            values.setdefault(FINGERPRINT, assets[values["filename"]].fingerprint)

    fallback = app.view_functions["static"]

    def static(filename: str) -> Response:
        asset = assets.get(filename)
        if asset is None:
            return fallback(filename=filename)
        return _serve(asset)

    app.view_functions["static"] = static
    for filename in ROOT_FILES:
        _serve_at_root(app, filename, assets[filename])


def _serve_at_root(app: Flask, filename: str, asset: Asset) -> None:
    app.add_url_rule(f"/{filename}", endpoint=f"root_{Path(filename).stem}",
                     view_func=lambda: _serve(asset, max_age=ROOT_FILE_MAX_AGE))


def _serve(asset: Asset, max_age: int | None = None) -> Response:
    if request.method not in ("GET", "HEAD"):
        abort(405)
    gzipped = asset.gzipped is not None and "gzip" in request.accept_encodings
    response = Response(asset.gzipped if gzipped else asset.body, mimetype=asset.mimetype)
    if gzipped:
        response.content_encoding = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(asset.fingerprint + ("-gz" if gzipped else ""))
    if request.args.get(FINGERPRINT) == asset.fingerprint:
        response.cache_control.public = True
        response.cache_control.max_age = FOREVER
        response.cache_control.immutable = True
    elif max_age is not None:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    else:  # an old or bare URL: always ask again (the ETag makes that cheap)
        response.cache_control.no_cache = True
    return response.make_conditional(request)
