"""Imports point one way (DESIGN.md §2): checked on every module's parsed imports, lazy ones included.

money <- models <- payments -> klarna; the views (storefront, admin) call payments and read
models, never klarna and never each other; the simulator imports nothing from shop but itself;
only create_app (shop/__init__.py) wires the blueprints and the simulator.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSITION_ROOT = "shop"  # shop/__init__.py: create_app knows all


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. shop.storefront.views
    target: str  # what it imports, e.g. shop.klarna.client or shop.models.Order
    where: str  # path:line

    def __str__(self) -> str:
        return f"{self.where}: {self.module} imports {self.target}"


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def is_shop(name: str) -> bool:
    return within(name, "shop")


def is_flask(name: str) -> bool:
    top = name.split(".")[0]
    return top == "flask" or top.startswith("flask_")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve_relative(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_in(path: Path) -> Iterator[Import]:
    module = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, where)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_relative(module, path.name == "__init__.py", node) if node.level else node.module
            for alias in node.names:
                yield Import(module, base if alias.name == "*" else f"{base}.{alias.name}", where)


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(found for path in sorted((ROOT / "shop").rglob("*.py")) for found in imports_in(path))


@dataclass(frozen=True)
class Rule:
    package: str  # the rule applies to modules within this package
    says: str
    forbidden: Callable[[str], bool]  # target -> breaks the rule?

    def applies_to(self, module: str) -> bool:
        return within(module, self.package)


def _views_import(other: str) -> Callable[[str], bool]:
    return lambda target: within(target, "shop.klarna") or within(target, other)


RULES = [
    Rule("shop.money", "shop.money imports no shop module",
         lambda t: is_shop(t) and not within(t, "shop.money")),
    Rule("shop.models", "shop.models imports only shop.money and shop.models",
         lambda t: is_shop(t) and not (within(t, "shop.money") or within(t, "shop.models"))),
    Rule("shop.klarna", "shop.klarna imports nothing from shop but itself, and no flask",
         lambda t: (is_shop(t) and not within(t, "shop.klarna")) or is_flask(t)),
    Rule("shop.simulator", "shop.simulator imports nothing from shop but itself",
         lambda t: is_shop(t) and not within(t, "shop.simulator")),
    Rule("shop.payments", "shop.payments never imports the views (shop.storefront, shop.admin)",
         lambda t: within(t, "shop.storefront") or within(t, "shop.admin")),
    Rule("shop.mail", "shop.mail never imports the views (shop.storefront, shop.admin) nor shop.klarna",
         lambda t: within(t, "shop.storefront") or within(t, "shop.admin") or within(t, "shop.klarna")),
    Rule("shop.storefront", "shop.storefront never imports shop.klarna nor shop.admin",
         _views_import("shop.admin")),
    Rule("shop.admin", "shop.admin never imports shop.klarna nor shop.storefront",
         _views_import("shop.storefront")),
]

WIRED_ONLY_BY_CREATE_APP = ("shop.storefront", "shop.admin", "shop.simulator")


def _violations(rule: Rule, imports: tuple[Import, ...]) -> list[str]:
    return [str(found) for found in imports if rule.applies_to(found.module) and rule.forbidden(found.target)]


@pytest.mark.parametrize("rule", RULES, ids=[rule.package for rule in RULES])
def test_imports_point_one_way(rule):
    violations = _violations(rule, all_imports())
    assert not violations, f"{rule.says}:\n  " + "\n  ".join(violations)


@pytest.mark.parametrize("package", WIRED_ONLY_BY_CREATE_APP)
def test_only_create_app_wires_the_blueprints_and_the_simulator(package):
    violations = [
        str(found) for found in all_imports()
        if within(found.target, package) and not within(found.module, package) and found.module != COMPOSITION_ROOT
    ]
    assert not violations, f"only shop/__init__.py (create_app) may import {package}:\n  " + "\n  ".join(violations)


def test_the_import_parser_resolves_relative_imports():
    found = {(i.module, i.target) for i in all_imports()}
    assert ("shop", "shop.admin.bp") in found  # from .admin import bp (inside create_app)
    assert ("shop.cli", "shop.db") in found  # from . import db as database
    assert all(not i.target.startswith(".") for i in all_imports())


def test_a_violation_names_the_module_and_the_import():
    rule = next(r for r in RULES if r.package == "shop.storefront")
    imports = (Import("shop.storefront.views", "shop.klarna.client.KlarnaClient", "shop/storefront/views.py:3"),
               Import("shop.storefront.views", "shop.payments.service", "shop/storefront/views.py:4"))
    assert _violations(rule, imports) == [
        "shop/storefront/views.py:3: shop.storefront.views imports shop.klarna.client.KlarnaClient"
    ]
