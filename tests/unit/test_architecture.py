"""The shape of the code base, read from the source (AST), not from the running program.

- Dependencies between areas point one way: the import graph of the project's packages has no
  cycle, and no two areas import each other (counting imports inside functions too).
- The pure cores import only the standard library (plus the few libraries named below) and
  other pure cores, and none of them reads the clock.
- Outside `infra/clock.py` nothing in the application reads the clock either.
- Importing any module does no work: no listener attached, no hash computed, no exit hook.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("infra", "accounts", "parties", "compliance", "inspections", "trademark", "certificates")
# Each area's pure core: frozen facts in, outcomes out. They may lean on each other, never on a shell.
PURE = {
    "compliance/engine.py": set(),
    "compliance/sampling.py": set(),
    "compliance/standard_file.py": {"yaml"},
    "trademark/rules.py": set(),
    "parties/membership.py": set(),
    "parties/uscc.py": set(),
    "certificates/verification.py": set(),
    "certificates/tokens.py": {"cryptography"},
    "infra/words.py": set(),
}
CLOCK_READS = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
               ("time", "time"), ("time", "localtime"), ("time", "gmtime")}


def project_modules() -> list[Path]:
    files = [ROOT / "app.py"]
    for area in AREAS:
        files.extend(sorted((ROOT / area).rglob("*.py")))
    return files


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function (absolute names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module_name(path).split(".")[: -node.level or None]
                base = ".".join(package + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def area_of(name: str) -> str | None:
    root = name.split(".")[0]
    return root if root in AREAS else None


def area_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {area: set() for area in AREAS}
    for path in project_modules():
        here = area_of(module_name(path))
        if here is None:
            continue  # app.py wires everything and is imported by nothing
        for name in imported_modules(path):
            there = area_of(name)
            if there and there != here:
                graph[here].add(there)
    return graph


def test_no_two_areas_import_each_other():
    graph = area_graph()
    both = sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets if a in graph[b]})
    assert both == []


def test_the_import_graph_between_areas_has_no_cycle():
    graph = area_graph()
    done: set[str] = set()

    def visit(area: str, path: tuple[str, ...]) -> None:
        if area in path:
            pytest.fail("import cycle: " + " → ".join(path[path.index(area):] + (area,)))
        if area in done:
            return
        for target in sorted(graph[area]):
            visit(target, path + (area,))
        done.add(area)

    for area in AREAS:
        visit(area, ())


def test_the_plumbing_depends_on_no_area_of_the_domain():
    assert area_graph()["infra"] == set()


@pytest.mark.parametrize("module", sorted(PURE))
def test_a_pure_core_imports_only_the_standard_library_and_other_pure_cores(module):
    allowed = set(sys.stdlib_module_names) | {"__future__"} | PURE[module]
    pure_names = {module_name(ROOT / m) for m in PURE}
    outside = set()
    for name in imported_modules(ROOT / module):
        root = name.split(".")[0]
        if root in allowed:
            continue
        if any(name == p or name.startswith(p + ".") for p in pure_names) or name in {n.rsplit(".", 1)[0] for n in pure_names}:
            continue
        if area_of(name) and any(p.startswith(name) for p in pure_names):
            continue  # `from parties import membership`: the package, for its pure module
        outside.add(name)
    assert outside == set()


def clock_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            owner = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
            if (owner, node.func.attr) in CLOCK_READS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {owner}.{node.func.attr}()")
    return found


@pytest.mark.parametrize("module", sorted(PURE))
def test_a_pure_core_never_reads_the_clock(module):
    assert clock_reads(ROOT / module) == []


def test_nothing_but_the_clock_module_reads_the_clock():
    reads = [r for path in project_modules() if path != ROOT / "infra" / "clock.py" for r in clock_reads(path)]
    # Monotonic timers for caches and rate windows are not the date a rule sees; they are allowed.
    assert reads == []


IMPORT_PROBE = r"""
import atexit, importlib, sys
import sqlalchemy.event
import werkzeug.security

AREAS = {AREAS!r}
done = []
ours = lambda fn: getattr(fn, "__module__", "").split(".")[0] in AREAS
werkzeug.security.generate_password_hash = lambda *a, **k: done.append("password hash computed")
_listen = sqlalchemy.event.listen


def listen(target, name, fn, *args, **kwargs):
    if ours(fn):
        done.append(f"listener attached: {{fn.__qualname__}} on {{name}}")
    return _listen(target, name, fn, *args, **kwargs)


sqlalchemy.event.listen = listen
_register = atexit.register


def register(fn, *args, **kwargs):
    if ours(fn):
        done.append(f"exit hook: {{fn.__qualname__}}")
    return _register(fn, *args, **kwargs)


atexit.register = register
for name in sys.argv[1:]:
    importlib.import_module(name)
print("\n".join(done))
"""


def test_importing_every_module_does_no_work():
    names = [module_name(p) for p in project_modules()]
    probe = IMPORT_PROBE.replace("{AREAS!r}", repr(set(AREAS))).replace("{{", "{").replace("}}", "}")
    result = subprocess.run([sys.executable, "-c", probe, *names], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
