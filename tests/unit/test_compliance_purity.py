"""The judging core is pure: the standard library and PyYAML only, no Flask, no SQLAlchemy, no clock."""

import ast
import sys
from pathlib import Path

import pytest

import compliance

CORE = ("engine.py", "standard_file.py", "sampling.py")
PACKAGE = Path(compliance.__file__).parent


def imported_roots(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("name", CORE)
def test_the_core_imports_only_the_standard_library_and_yaml(name):
    roots = imported_roots((PACKAGE / name).read_text(encoding="utf-8"))
    assert roots <= set(sys.stdlib_module_names) | {"__future__", "yaml"}


@pytest.mark.parametrize("name", CORE)
def test_the_core_imports_nothing_of_the_project_but_itself(name):
    tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
    relative = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
    assert relative <= {"engine", "sampling"}


@pytest.mark.parametrize("name", CORE)
def test_the_core_never_reads_the_clock(name):
    source = (PACKAGE / name).read_text(encoding="utf-8")
    for call in ("date.today", "datetime.now", "datetime.utcnow", "time.time"):
        assert call not in source
