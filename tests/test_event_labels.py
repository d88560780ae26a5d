"""Every order and payment event kind the shop writes has a word in the admin's history.

The kinds are read from the source (ast): the `kind` given to add_event, add_payment_event,
OrderEvent and PaymentEvent, followed through local variables, conditional expressions and the
parameters of the functions that pass it on (`_outcome(..., "captured", ...)`). A kind built with
an f-string is expanded with the values its placeholder takes (PLACEHOLDER_VALUES). A new kind
without a label, or a kind this walk cannot follow, fails here.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from itertools import product
from pathlib import Path

import pytest

from shop.admin.common import ORDER_EVENT_LABELS
from shop.admin.payment_panel import event_label
from shop.payments.klarna_checkout import RETURN_KINDS
from shop.payments.operations import OPERATIONS

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = ("shop/simulator", "shop/migrations", "shop/klarna")  # no shop events are written there
# Which history a writer feeds, and where its `kind` argument is (position, keyword).
WRITERS = {"add_event": ("order", 2), "OrderEvent": ("order", None),
           "add_payment_event": ("payment", 2), "PaymentEvent": ("payment", None)}
# The values of an f-string kind's placeholders, by the placeholder's source text.
PLACEHOLDER_VALUES = {
    "name": tuple(OPERATIONS),  # f"{name}_requested", f"{name}_failed", f"{name}_unknown"
    "event.data['operation']": tuple(OPERATIONS),  # f"{...}_unresolved"
    "kind": RETURN_KINDS,  # f"returned_{kind}"
}


class Unfollowed(Exception):
    pass


@dataclass(frozen=True)
class Module:
    path: str
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]

    def function_of(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None

    def imports(self, name: str) -> set[str]:
        """The names under which this module imported `name` (its own definitions count as imported)."""
        found = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                found |= {alias.asname or alias.name for alias in node.names if alias.name == name}
            elif isinstance(node, ast.Import):
                found |= {alias.asname or alias.name for alias in node.names if alias.name.endswith("." + name)}
        return found


@cache
def modules() -> tuple[Module, ...]:
    found = []
    for path in sorted((ROOT / "shop").rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative.startswith(SKIPPED):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        found.append(Module(relative, tree, parents))
    return tuple(found)


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def argument(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    for given in call.keywords:
        if given.arg == keyword:
            return given.value
    if position is not None and position < len(call.args) and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return None


def where(module: Module, node: ast.AST) -> str:
    return f"{module.path}:{getattr(node, 'lineno', '?')}"


def kinds_of(module: Module, expr: ast.expr, seen: frozenset = frozenset()) -> dict[str, str]:
    """Every string `expr` can be, each with where it is written."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value: where(module, expr)}
    if isinstance(expr, ast.IfExp):
        return {**kinds_of(module, expr.body, seen), **kinds_of(module, expr.orelse, seen)}
    if isinstance(expr, ast.JoinedStr):
        return dict.fromkeys(_expand(module, expr), where(module, expr))
    if isinstance(expr, ast.Name):
        return _name_values(module, expr, seen)
    raise Unfollowed(f"{where(module, expr)}: cannot follow the event kind {ast.unparse(expr)!r}")


def _expand(module: Module, expr: ast.JoinedStr) -> set[str]:
    parts: list[tuple[str, ...]] = []
    for value in expr.values:
        if isinstance(value, ast.Constant):
            parts.append((value.value,))
            continue
        text = ast.unparse(value.value)
        if text not in PLACEHOLDER_VALUES:
            raise Unfollowed(f"{where(module, expr)}: add the values of {{{text}}} to PLACEHOLDER_VALUES")
        parts.append(tuple(PLACEHOLDER_VALUES[text]))
    return {"".join(combination) for combination in product(*parts)}


def _name_values(module: Module, name: ast.Name, seen: frozenset) -> dict[str, str]:
    function = module.function_of(name)
    if function is None:
        raise Unfollowed(f"{where(module, name)}: cannot follow {name.id!r} outside a function")
    parameters = [arg.arg for arg in (*function.args.posonlyargs, *function.args.args)]
    keyword_only = [arg.arg for arg in function.args.kwonlyargs]
    if name.id in parameters or name.id in keyword_only:
        key = (module.path, function.name, name.id)
        if key in seen:
            return {}
        position = parameters.index(name.id) if name.id in parameters else None
        return _passed_values(module, function, position, name.id, seen | {key})
    assigned = [node.value for node in ast.walk(function) if isinstance(node, ast.Assign)
                and any(isinstance(target, ast.Name) and target.id == name.id for target in node.targets)]
    if not assigned:
        raise Unfollowed(f"{where(module, name)}: no assignment of {name.id!r} found")
    return {kind: at for value in assigned for kind, at in kinds_of(module, value, seen).items()}


def _passed_values(defining: Module, function: ast.FunctionDef, position: int | None, parameter: str,
                   seen: frozenset) -> dict[str, str]:
    """What the callers of `function` pass for `parameter` (in its module and where it is imported)."""
    values: dict[str, str] = {}
    calls = 0
    for module in modules():
        names = {function.name} if module is defining else module.imports(function.name)
        module_alias = Path(defining.path).stem
        for call in (node for node in ast.walk(module.tree) if isinstance(node, ast.Call)):
            plain = isinstance(call.func, ast.Name) and call.func.id in names
            through_module = (isinstance(call.func, ast.Attribute) and call.func.attr == function.name
                              and isinstance(call.func.value, ast.Name) and call.func.value.id == module_alias)
            if not (plain or through_module):
                continue
            given = argument(call, position, parameter)
            if given is None:
                raise Unfollowed(f"{where(module, call)}: {function.name}() called without {parameter!r}")
            values.update(kinds_of(module, given, seen))
            calls += 1
    if not calls:
        raise Unfollowed(f"{where(defining, function)}: no call of {function.name}() found to follow {parameter!r}")
    return values


@cache
def written_kinds() -> dict[str, dict[str, str]]:
    """history ("order" / "payment") -> kind -> where it is written."""
    found: dict[str, dict[str, str]] = {"order": {}, "payment": {}}
    for module in modules():
        for call in (node for node in ast.walk(module.tree) if isinstance(node, ast.Call)):
            writer = WRITERS.get(called_name(call) or "")
            if writer is None:
                continue
            history, position = writer
            expr = argument(call, position, "kind")
            if expr is None:
                continue  # OrderEvent/PaymentEvent used without a kind (a query, say)
            for kind, at in kinds_of(module, expr).items():
                found[history].setdefault(kind, at)
    return found


def test_the_walk_follows_every_way_the_shop_writes_a_kind():
    order, payment = written_kinds()["order"], written_kinds()["payment"]
    assert {"placed", "shipped", "partially_shipped", "klarna_session_failed"} <= set(order)  # literal, if-else
    assert {"capture_requested", "refund_failed", "extend_unknown", "release_unresolved"} <= set(payment)  # f-string
    assert {"returned_cancel", "captured", "captured_elsewhere", "refunded_elsewhere"} <= set(payment)  # passed on
    assert {"authorization_unknown", "authorization_postponed", "authorization_failed"} <= set(payment)  # assigned
    assert "created" in payment  # PaymentEvent(kind=...)


def test_an_unfollowable_kind_fails_the_walk():
    module = modules()[0]
    with pytest.raises(Unfollowed):
        kinds_of(module, ast.parse('f"{something_new}_done"', mode="eval").body)
    with pytest.raises(Unfollowed):
        kinds_of(module, ast.parse("kind_of(payment)", mode="eval").body)


def test_every_order_event_kind_has_a_label():
    missing = {kind: at for kind, at in written_kinds()["order"].items() if kind not in ORDER_EVENT_LABELS}
    assert not missing, f"add these kinds to ORDER_EVENT_LABELS (shop/admin/common.py): {missing}"


def test_every_payment_event_kind_has_a_label():
    missing = {kind: at for kind, at in written_kinds()["payment"].items() if event_label(kind) == kind}
    assert not missing, f"add these kinds to EVENT_LABELS (shop/admin/payment_panel.py): {missing}"
