"""Layers only point down: every module's imports are read with ``ast`` and checked against the table below.

Data flows documents (ingest) → chunks → index → passages (retrieval) →
evidence and answer (answering) → evaluation → the apps (CLI, UI). A module may
import from its own layer and the layers below it, never from one above. The
shared types, errors, settings and the text toolkit are the floor; the LLM
backends sit right on it. Imports inside functions are not allowed for
``rag`` modules (they hide cycles); lazy imports of heavy third-party libraries
are fine. Imports under ``if TYPE_CHECKING:`` are for annotations and not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rag"

#: (layer, module prefixes), lowest first; the longest matching prefix decides a module's layer
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("rag.types", "rag.errors", "rag.config", "rag.text")),
    ("llm backends", ("rag.llm",)),
    ("ingest", ("rag.ingest",)),
    ("chunks", ("rag.chunking", "rag.speakers", "rag.speaker_pipeline")),
    (
        "index",
        ("rag.embedding", "rag.store", "rag.lexical", "rag.manifest", "rag.preparation", "rag.indexing", "rag.corpus"),
    ),
    ("retrieval", ("rag.retrieval", "rag.query")),
    ("answering", ("rag.answering",)),
    ("evaluation", ("rag.evaluation",)),
    ("apps", ("rag.ui", "rag.cli", "rag.doctor", "rag")),
]


def layer_of(module: str) -> int:
    best = (-1, -1)  # (prefix length, layer)
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best[0]:
                best = (len(p), i)
    if best[1] < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
    return best[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def rag_imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, imported rag module, inside a function) for each runtime import of a rag module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_function.update(id(n) for n in ast.walk(node) if n is not node)
    out: list[tuple[int, str, bool]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from rag import answering` imports the submodule: check the submodule's layer
            names = [f"{node.module}.{a.name}" if node.module == "rag" else node.module for a in node.names]
        for name in names:
            if name == "rag" or name.startswith("rag."):
                out.append((node.lineno, name, id(node) in in_function))
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    for path in MODULES:
        layer_of(module_name(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_point_down(path: Path) -> None:
    me = module_name(path)
    mine = layer_of(me)
    problems = []
    for line, name, inside in rag_imports(path):
        if name.rsplit(".", 1)[0] == "rag" and name.rsplit(".", 1)[1] in {"answer", "load_document", "retrieve"}:
            name = "rag"  # a name from the package itself
        theirs = layer_of(name)
        if theirs > mine:
            problems.append(f"{me}:{line} imports {name} ({LAYERS[theirs][0]}) from below it ({LAYERS[mine][0]})")
        if inside:
            problems.append(f"{me}:{line} imports {name} inside a function (hoist it, or break the cycle)")
    assert not problems, "\n".join(problems)


def test_the_layer_test_catches_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from rag.answering import answer\n\ndef f():\n    from rag.ui import serve\n")
    found = rag_imports(bad)
    assert [(n, inside) for _, n, inside in found] == [("rag.answering", False), ("rag.ui", True)]
    assert layer_of("rag.answering") > layer_of("rag.retrieval") > layer_of("rag.text.markers")
