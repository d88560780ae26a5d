"""Check JSON bodies against Klarna's own OpenAPI schemas (kept outside the repo, in ../shared).

    validate("payments", "session_create", body)           # a request the shop sends
    validate_response("ordermanagement", "Order", body)    # an answer the simulator gives

`api` is the spec file's stem: "payments" (payments.json), "ordermanagement"
(ordermanagement.json) or "hpp" (hpp.yaml). Schema names are looked up exactly as
they appear under `components/schemas`.

OpenAPI 3.0 schemas are JSON Schema Draft 4 plus a few keywords: `nullable` becomes a
"null" type, `example` is dropped, `$ref`s are inlined. Objects are closed by default
(`additionalProperties: false` where the spec leaves it open), so a misspelt optional
field fails instead of being silently ignored by the check and by Klarna; pass
`allow_unknown_keys=True` where the spec is known to lag behind Klarna.

When the spec folder is missing (set SHOP_KLARNA_OPENAPI_DIR to move it) the calling
test is skipped.
"""
from __future__ import annotations

import copy
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator

DEFAULT_OPENAPI_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "klarna" / "openapi"
SPEC_FILES = {"payments": "payments.json", "ordermanagement": "ordermanagement.json", "hpp": "hpp.yaml"}
_REF_PREFIX = "#/components/schemas/"
_DROPPED_KEYWORDS = {"example", "nullable", "discriminator", "xml", "externalDocs"}


def openapi_dir() -> Path:
    return Path(os.environ.get("SHOP_KLARNA_OPENAPI_DIR") or DEFAULT_OPENAPI_DIR)


def request_schema(api: str, schema_name: str, *, allow_unknown_keys: bool = False) -> dict[str, Any]:
    """The named component schema as self-contained JSON Schema (Draft 4); a fresh copy."""
    return copy.deepcopy(_schema(openapi_dir(), api, schema_name, allow_unknown_keys))


def validate(api: str, schema_name: str, instance: Any, *, allow_unknown_keys: bool = False) -> None:
    """Fail the test (AssertionError listing every violation) unless `instance` fits."""
    validator = Draft4Validator(_schema(openapi_dir(), api, schema_name, allow_unknown_keys))
    problems = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
    if problems:
        listing = "\n".join(f"  at /{_pointer(error)}: {error.message}" for error in problems)
        raise AssertionError(f"{api} {schema_name}: {len(problems)} violation(s)\n{listing}")


def validate_response(
    api: str, schema_name: str, instance: Any, *, allow_unknown_keys: bool = False
) -> None:
    """Same as `validate`, named for checking what a server answers."""
    validate(api, schema_name, instance, allow_unknown_keys=allow_unknown_keys)


@lru_cache(maxsize=None)
def _schema(directory: Path, api: str, schema_name: str, allow_unknown_keys: bool) -> dict[str, Any]:
    components = _load_spec(directory, api).get("components", {}).get("schemas", {})
    if schema_name not in components:
        raise KeyError(f"{api}: no schema {schema_name!r}; known: {sorted(components)}")
    return _converted(components[schema_name], components, allow_unknown_keys, (schema_name,))


@lru_cache(maxsize=None)
def _load_spec(directory: Path, api: str) -> dict[str, Any]:
    try:
        file_name = SPEC_FILES[api]
    except KeyError:
        raise KeyError(f"unknown Klarna API {api!r}; use one of {sorted(SPEC_FILES)}") from None
    path = directory / file_name
    if not path.is_file():
        pytest.skip("Klarna OpenAPI files not found in ../shared/klarna/openapi; contract checks skipped")
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)


def _converted(node: Any, components: dict, open_objects: bool, seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_converted(item, components, open_objects, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inlined(node["$ref"], components, open_objects, seen)
    schema = {}
    for key, value in node.items():
        if key in _DROPPED_KEYWORDS or key.startswith("x-"):
            continue
        if key == "properties":  # keys are field names, values are schemas
            value = {name: _converted(sub, components, open_objects, seen) for name, sub in value.items()}
        else:
            value = _converted(value, components, open_objects, seen)
        schema[key] = value
    if node.get("nullable") and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    if not open_objects and "properties" in schema and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    return schema


def _inlined(ref: str, components: dict, open_objects: bool, seen: tuple[str, ...]) -> Any:
    if not ref.startswith(_REF_PREFIX):
        raise ValueError(f"unsupported $ref {ref!r}")
    name = ref[len(_REF_PREFIX):]
    if name in seen:
        raise ValueError(f"recursive schema {' -> '.join(seen + (name,))} cannot be inlined")
    return _converted(components[name], components, open_objects, seen + (name,))


def _pointer(error: Any) -> str:
    return "/".join(str(part) for part in error.absolute_path)
