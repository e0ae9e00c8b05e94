"""The usage rules and the verification status are a pure core: standard library only, no clock."""
import ast
import sys
from pathlib import Path

import pytest

import trademark.rules
import trademark.verification

# Each core module and the project modules it may import (only each other, one way).
CORE = {trademark.rules: set(), trademark.verification: {"trademark.rules"}}


def source(module) -> str:
    return Path(module.__file__).read_text(encoding="utf-8")


def imported(module) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import hides what is imported"
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE, ids=lambda m: m.__name__)
def test_the_core_imports_only_the_standard_library_and_each_other(module):
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    outside = {name for name in imported(module) if name.split(".")[0] not in stdlib}
    assert outside <= CORE[module]


@pytest.mark.parametrize("module", CORE, ids=lambda m: m.__name__)
def test_the_core_never_reads_the_clock(module):
    for call in ("date.today", "datetime.now", "datetime.utcnow", "time.time"):
        assert call not in source(module)
