"""STYLE.md rule 4: only dsr/workflows/engine.py writes a request's status."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import dsr

SOURCE = Path(dsr.__file__).parent
WRITER = SOURCE / "workflows" / "engine.py"


def _status_writes(tree: ast.AST) -> list[int]:
    """Lines that assign an attribute called ``status``, pass ``status=`` to ``Request(...)``
    or ``.values(...)``, call ``setattr(..., "status", ...)``, build a Core ``insert`` into
    the request table, or hold SQL that inserts into or updates it."""
    lines: list[int] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.search(r"\b(INSERT\s+INTO|UPDATE)\s+request\b", node.value, re.IGNORECASE)
        ):
            lines.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "insert"
            and any(ast.unparse(a) in {"Request", "REQUESTS"} for a in node.args)
        ):
            lines.append(node.lineno)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            lines += [
                t.lineno for t in targets if isinstance(t, ast.Attribute) and t.attr == "status"
            ]
        elif isinstance(node, ast.Call):
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", "")
            )
            keywords = {k.arg for k in node.keywords}
            if name in {"Request", "values"} and "status" in keywords and _about_requests(node):
                lines.append(node.lineno)
            if name == "setattr" and any(
                isinstance(a, ast.Constant) and a.value == "status" for a in node.args
            ):
                lines.append(node.lineno)
    return sorted(lines)


def _about_requests(call: ast.Call) -> bool:
    """``Request(...)`` itself, or a ``.values()`` chained on ``update(Request)``."""
    if isinstance(call.func, ast.Name):
        return call.func.id == "Request"
    return "Request" in ast.unparse(call.func)


def test_no_module_but_the_engine_writes_request_status() -> None:
    offenders = []
    for path in SOURCE.rglob("*.py"):
        if path == WRITER:
            continue
        for line in _status_writes(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(SOURCE)}:{line}")
    assert offenders == []


def test_the_check_catches_each_kind_of_write() -> None:
    sample = ast.parse(
        "request.status = 'completed'\n"
        "x = Request(reference='r', status='received')\n"
        "await s.execute(update(Request).where(Request.id == 1).values(status='rejected'))\n"
        "setattr(request, 'status', 'withdrawn')\n"
        "await connection.execute(insert(REQUESTS), row)\n"
        "await connection.execute(text('update request set status = 1'))\n"
        "sql = 'WITH n AS (SELECT 1) INSERT INTO request (id) VALUES (1)'\n"
    )
    assert _status_writes(sample) == [1, 2, 3, 4, 5, 6, 7]
    assert _status_writes(ast.parse(WRITER.read_text(encoding="utf-8")))  # the engine does write
