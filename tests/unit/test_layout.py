"""The package's shape holds: imports flow one way between sub-packages, modules and functions stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "include" / "front_sync"
SOURCES = sorted(
    p
    for p in [
        *PACKAGE.rglob("*.py"),
        *(ROOT / "include" / "front_simulator").rglob("*.py"),
        *(ROOT / "simulator").rglob("*.py"),
    ]
    if ".venv" not in p.parts
)
# Test code, its harnesses, scripts and benchmarks keep to the module size too (a newcomer reads them as well).
TEST_SOURCES = sorted(p for folder in ("tests", "testing", "scripts", "bench") for p in (ROOT / folder).rglob("*.py"))
# What each sub-package may import from front_sync (besides itself); sync and the DAGs sit on top.
ALLOWED = {
    "resources": {"config"},
    "hooks": {"config"},
    "warehouse": {"config", "resources"},
    "ops": {"config", "resources", "warehouse"},
    "sync": {"config", "resources", "warehouse", "hooks", "ops", "realtime"},
    "estimate": {"config", "resources", "hooks", "sync"},  # on top, beside sync: the DAGs and the CLI use it
    "realtime": {"config", "resources", "warehouse", "hooks"},  # webhooks: receiver, trigger, apply (issue 21)
}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def imported_packages(path: Path) -> set[str]:
    """The front_sync sub-packages (or top modules) a file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found |= {n.split(".")[1] for n in names if n.startswith("front_sync.")}
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_flow_one_way(package):
    wrong = {}
    for path in (PACKAGE / package).rglob("*.py"):
        bad = imported_packages(path) - ALLOWED[package] - {package}
        if bad:
            wrong[str(path.relative_to(ROOT))] = sorted(bad)
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package])}: {wrong}"


def test_no_module_over_500_lines_tests_and_harnesses_included():
    """Issue 20 "Tests in tiers": the limit covers tests/, testing/, scripts/ and bench/ as well as the product."""
    big = {
        str(p.relative_to(ROOT)): n
        for p in [*SOURCES, *TEST_SOURCES]
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not big, big


def test_no_function_over_60_lines_data_literals_aside():
    long = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                literal = all(
                    isinstance(s, ast.Return | ast.Assign | ast.Expr)
                    and isinstance(getattr(s, "value", None), ast.Dict | ast.List | ast.Tuple | ast.Set)
                    for s in body
                )
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES and not literal:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = lines
    assert not long, long
