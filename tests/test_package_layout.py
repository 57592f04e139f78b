"""The package reads like the pipeline (docs/architecture.md): stage packages in DAG order,
libraries underneath, the CLI on top. A stage never imports a later stage, a library never
imports a stage, no module imports itself back through others, and only the CLI sits at
the package's top level. Read from the source (every import, also those inside functions)."""

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "divrl"
# libraries: used by the stages, never using them
LIBRARIES = {"system", "settings", "methods", "metrics", "tasks", "models", "sampling", "workflow"}
# the pipeline's stages, in DAG order (cost estimates a run from its data, train and eval)
STAGES = ["data", "train", "eval", "cost", "report"]
# above every stage: the config loader (checks names against every registry) and the CLI
TOP = {"config", "cli", "cli_args", "__main__", "__init__"}


def modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name or "__init__"] = path
    return out


def imports(path: Path, mods: dict) -> set[str]:
    """The divrl modules `path` imports (a `from divrl.pkg import name` of a module counts as that module)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "divrl":
            base = node.module.removeprefix("divrl").lstrip(".")
            for alias in node.names:
                full = f"{base}.{alias.name}".lstrip(".")
                out.add(full if full in mods else base or "__init__")
        elif isinstance(node, ast.Import):
            out |= {a.name.removeprefix("divrl.") for a in node.names if a.name.startswith("divrl.")}
    return out


def package(module: str) -> str:
    return module.split(".")[0]


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports(p, mods) - {m} for m, p in mods.items()}


def test_only_the_cli_is_a_top_level_module():
    loose = sorted(p.stem for p in SRC.glob("*.py") if p.stem not in TOP)
    assert not loose, f"modules outside a stage or library package: {loose}"
    known = LIBRARIES | set(STAGES) | TOP
    assert {package(m) for m in modules()} <= known


def test_no_upward_import():
    rank = {s: i for i, s in enumerate(STAGES)}
    bad = []
    for module, targets in graph().items():
        src = package(module)
        for target in targets:
            dst = package(target)
            if src in LIBRARIES and (dst in rank or dst in TOP):
                bad.append(f"library {module} imports {target}")
            elif src in rank and dst in rank and rank[dst] > rank[src]:
                bad.append(f"stage {module} imports the later stage {target}")
            elif src in rank and dst in TOP:
                bad.append(f"stage {module} imports {target}")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(g.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path[path.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node, [node])


def test_the_checker_sees_an_upward_import_and_a_cycle(tmp_path, monkeypatch):
    """The rules can fail: a library importing a stage, and two modules importing each other."""
    fake = tmp_path / "divrl"
    (fake / "metrics").mkdir(parents=True)
    (fake / "eval").mkdir()
    (fake / "metrics" / "x.py").write_text("from divrl.eval.y import z\n")
    (fake / "eval" / "y.py").write_text("def f():\n    from divrl.eval import w\n")
    (fake / "eval" / "w.py").write_text("from divrl.eval.y import f\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake)
    with pytest.raises(AssertionError, match="library metrics.x imports eval.y"):
        test_no_upward_import()
    with pytest.raises(pytest.fail.Exception, match="eval.w -> eval.y -> eval.w"):
        test_no_import_cycle()
