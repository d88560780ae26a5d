"""shop.klarna stays a plain API client: requests + standard library, small modules."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "shop" / "klarna"
MODULES = sorted(PACKAGE.glob("*.py"))
ALLOWED_THIRD_PARTY = {"requests"}


def imported_top_level_names(module: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_only_requests_and_the_standard_library_are_imported(module):
    foreign = imported_top_level_names(module) - ALLOWED_THIRD_PARTY - set(sys.stdlib_module_names)
    assert not foreign, f"{module.name} imports {sorted(foreign)}"


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_modules_stay_small(module):
    assert len(module.read_text(encoding="utf-8").splitlines()) <= 300
