"""The usage-rules engine is a pure core: standard library only, no clock."""
import ast
import sys
from pathlib import Path

import trademark.rules

SOURCE = Path(trademark.rules.__file__).read_text(encoding="utf-8")


def imported_roots() -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(SOURCE)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_rules_import_only_the_standard_library():
    assert imported_roots() <= set(sys.stdlib_module_names) | {"__future__"}


def test_the_rules_never_read_the_clock():
    for call in ("date.today", "datetime.now", "datetime.utcnow", "time.time"):
        assert call not in SOURCE
