#!/usr/bin/env python3
"""How much a reader must open to follow one training step (issue 30), measured rather than counted by hand.

Prints the package's import graph (modules, edges, imports against the layer order, training/'s modules, from
tests/test_architecture.py's own reading of the imports) and every wganlab file whose functions one
`train_step` of a preset calls (a profiler over one step, after a warm-up step), with the functions called.

    python benchmarks/step_anatomy.py [--preset grid]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from wganlab import config as configuration
from wganlab.training.build import build
from wganlab.training.step import train_step

ROOT = Path(__file__).resolve().parent.parent


def architecture() -> ModuleType:
    """tests/test_architecture.py, for its MODULES, imports() and layers."""
    spec = importlib.util.spec_from_file_location("architecture", ROOT / "tests" / "test_architecture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def graph_line() -> str:
    arch = architecture()
    modules = arch.MODULES
    edges = {(module, imported) for module in modules for imported in arch.imports(module) if imported in modules}
    order = arch.LAYERS
    against = [edge for edge in edges if order.index(arch.layer(edge[1])) > order.index(arch.layer(edge[0]))]
    training = [module for module in modules if module.startswith("wganlab.training.")]
    return (f"import graph: {len(modules)} modules, {len(edges)} edges, {len(against)} against the layer order, "
            f"{len(training)} files in training/")


def files_of_one_step(preset: str) -> dict[str, set[str]]:
    """wganlab file (relative to the package) -> the functions one train_step calls there."""
    run, state = build(configuration.load(None, preset, []))
    train_step(run, state)  # warm-up: lazy imports and first-call paths are not the step
    called: dict[str, set[str]] = {}

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        path = frame.f_code.co_filename
        if event == "call" and "/wganlab/" in path:
            called.setdefault(path.split("/wganlab/", 1)[1], set()).add(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        train_step(run, state)
    finally:
        sys.setprofile(None)
    return called


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="grid", help="the recipe whose step is traced (default: grid)")
    args = parser.parse_args()
    print(graph_line())
    called = files_of_one_step(args.preset)
    for path, functions in called.items():
        print(f"  {path}: {', '.join(sorted(functions))}")
    print(f"one train_step of {args.preset!r} calls functions in {len(called)} files")


if __name__ == "__main__":
    main()
