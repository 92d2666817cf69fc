"""The package's shape: imports flow one way through the layers, no cycles, no private names across modules.

Layers, lowest first (STYLE.md): errors, config -> data -> models -> objectives -> metrics -> diagnostics ->
training -> claims -> reports -> cli. A module may import only from its own layer or the layers before it.
Top-level modules are placed by what they are: the foundation (errors, files, integrity, plotting, sharding,
stacking) imports nothing but itself (sharding draws per member of a sweep with stacking's streams); config,
config_values, presets, parts, rundir and runlogs describe runs; the command modules sit with the CLI. (Validation
and its tables collect the parts of every layer up to training, its optimisers included: they are in training/.)
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import wganlab

PACKAGE = Path(wganlab.__file__).parent
LAYERS = ["errors", "config", "data", "models", "objectives", "metrics", "diagnostics", "training", "claims",
          "reports", "cli"]
TOP_LEVEL = {
    "wganlab.errors": "errors",
    "wganlab.files": "errors",
    "wganlab.integrity": "errors",
    "wganlab.machine": "errors",
    "wganlab.plotting": "errors",
    "wganlab.sharding": "errors",
    "wganlab.stacking": "errors",
    "wganlab.parts": "config",
    "wganlab.schedules": "config",
    "wganlab.presets": "config",
    "wganlab.presets_r3gan": "config",
    "wganlab.presets_conditional": "config",
    "wganlab.config": "config",
    "wganlab.config_values": "config",
    "wganlab.rundir": "config",
    "wganlab.runlogs": "config",
    "wganlab.diagnose": "cli",
    "wganlab.evaluate": "cli",
    "wganlab.sample": "cli",
    "wganlab.export": "cli",
    "wganlab.generator": "cli",
    "wganlab.reference": "cli",
    "wganlab.train": "cli",
    "wganlab.cli": "cli",
    "wganlab.__main__": "cli",
    "wganlab.arguments": "cli",
    "wganlab": "cli",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    package = module.split(".")[1]
    assert package in LAYERS, f"{module} is in no layer: add its package or the module to this test's map"
    return package


def imports(module: str) -> set[str]:
    """Every wganlab module `module` imports, at any depth of its code (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("wganlab")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("wganlab"):
            for alias in node.names:  # `from wganlab.x import y` imports the module x.y when there is one
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found - {module}


def test_every_module_has_a_layer():
    assert {layer(module) for module in MODULES} <= set(LAYERS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_flow_down_the_layers(module: str):
    own = LAYERS.index(layer(module))
    upward = sorted(f"{target} ({layer(target)})" for target in imports(module) if LAYERS.index(layer(target)) > own)
    assert not upward, f"{module} ({layer(module)}) imports from higher layers: {upward}"


def test_no_import_cycles():
    graph = {module: imports(module) - {"wganlab"} for module in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            if target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_no_private_names_imported_across_modules():
    private = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("wganlab"):
                private += [f"{module}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert not private


def test_the_pure_math_imports_nothing_of_data_training_reports_or_claims():
    code = (
        "import sys, wganlab.objectives.penalties, wganlab.metrics.frechet\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('wganlab'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "wganlab.objectives.penalties" in loaded and "wganlab.metrics.frechet" in loaded
    heavy = [m for m in loaded if m.split(".")[1:2] and m.split(".")[1] in ("data", "training", "reports", "claims")]
    assert not heavy, heavy


def test_importing_the_config_pulls_in_no_part_of_the_pipeline():
    code = "import sys, wganlab.config\nprint('\\n'.join(m for m in sys.modules if m.startswith('wganlab')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert set(loaded) <= {"wganlab", "wganlab.config", "wganlab.config_values", "wganlab.errors", "wganlab.parts",
                           "wganlab.presets", "wganlab.presets_r3gan", "wganlab.presets_conditional"}


FUNCTION_LINES = 50  # STYLE.md: functions under about 50 lines (a function that reads on one screen)


def test_no_function_longer_than_a_screen():
    """Every function and method in src/, decorators aside, is at most FUNCTION_LINES lines long."""
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > FUNCTION_LINES:
                    long.append(f"{module}.{node.name}: {lines} lines")
    assert not long, long
