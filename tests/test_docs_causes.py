"""The cause registry is the only list of causes: docs/causes.md is generated from it, every id
the code names is declared in it, and the documentation names no other."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sigkit.debug import causes

REPO = Path(__file__).resolve().parent.parent
REGENERATE = ".venv/bin/python -m sigkit.debug.causes > docs/causes.md"
DECLARED = set(causes.IDS)


def test_docs_causes_md_is_generated_from_the_registry() -> None:
    page = (REPO / "docs" / "causes.md").read_text(encoding="utf-8")
    assert page == causes.markdown(), (
        f"docs/causes.md is not what the registry generates; re-run: {REGENERATE}"
    )


def test_every_cause_has_its_own_section() -> None:
    page = causes.markdown()
    for cause in causes.REGISTRY:
        assert page.count(f"\n## {cause.id}\n") == 1, cause.id
        assert cause.fix in page and cause.title in page


# --------------------------------------------------------------------------------------------
# Every id the code names is declared


def _cause_positions(trees: dict[Path, ast.Module]) -> dict[str, int]:
    """Callables of sigkit whose parameter (or dataclass field) `cause` / `cause_id` takes a
    cause id, with its position: Finding, Problem and any helper that passes one on."""
    positions: dict[str, int] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                fields = [
                    s.target.id
                    for s in node.body
                    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                ]
                for name in ("cause", "cause_id"):
                    if name in fields:
                        positions[node.name] = fields.index(name)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                params = [a.arg for a in node.args.posonlyargs + node.args.args]
                if params[:1] in (["self"], ["cls"]):
                    continue
                for name in ("cause", "cause_id"):
                    if name in params:
                        positions[node.name] = params.index(name)
    return positions


def _top_level_names(tree: ast.Module) -> set[str]:
    """What a module defines or imports at its top level."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
    return names


def _imported_modules(tree: ast.Module, modules: set[str]) -> set[str]:
    """Names a module binds to sigkit modules (``from sigkit.debug import causes``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sigkit"):
            names.update(a.asname or a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sigkit.") and alias.asname:
                    names.add(alias.asname)
    return names


def _named_ids(trees: dict[Path, ast.Module]) -> list[tuple[str, str]]:
    """(where, id) for every string literal passed as a cause: at the cause position of a
    call to one of those callables, or as a ``cause=`` / ``cause_id=`` keyword anywhere."""
    positions = _cause_positions(trees)
    modules = {path.stem for path in trees}
    named: list[tuple[str, str]] = []
    for path, tree in trees.items():
        top = _top_level_names(tree)
        imported = _imported_modules(tree, modules)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = None
            if isinstance(func, ast.Name):
                name = func.id if func.id in top else None  # not a local `get = result.get`
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                # model.Finding(...), causes.get(...); not dict.get(...) or str.format(...)
                name = func.attr if func.value.id in imported else None
            values: list[ast.expr] = [
                k.value for k in node.keywords if k.arg in ("cause", "cause_id")
            ]
            if name in positions and len(node.args) > positions[name]:
                values.append(node.args[positions[name]])
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
                    where = f"{path.relative_to(REPO)}:{node.lineno}"
                    named.append((where, value.value))
    return named


def test_every_cause_the_code_names_is_declared() -> None:
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted((REPO / "sigkit").rglob("*.py"))
    }
    positions = _cause_positions(trees)
    assert {"Finding", "Problem"} <= set(positions)
    named = _named_ids(trees)
    undeclared = [f"{where}: {cause!r}" for where, cause in named if cause not in DECLARED]
    assert undeclared == [], "declare these in sigkit/debug/causes.py"
    # the walk finds what it is meant to (a walk that finds nothing passes nothing)
    assert len({cause for _, cause in named}) >= 5, named


def test_the_walk_catches_an_undeclared_id() -> None:
    source = (
        "from dataclasses import dataclass\n"
        "@dataclass\nclass Problem:\n    code: str\n    message: str\n    cause: str | None\n"
        "def _finding(cause, evidence): ...\n"
        "def f(get):\n    get('not-a-cause')\n"
        "Problem('SignatureDoesNotMatch', 'm', 'no-such-cause')\n"
        "_finding('wrong-secret', 'e')\n"
        "_finding('another-made-up-one', 'e')\n"
        "Problem(code='X', message='m', cause='region')\n"
    )
    trees = {REPO / "sigkit" / "example.py": ast.parse(source)}
    named = sorted(cause for _, cause in _named_ids(trees))
    assert named == ["another-made-up-one", "no-such-cause", "region", "wrong-secret"]


# --------------------------------------------------------------------------------------------
# The documentation names no other cause

# The ways the docs name a cause: a finding in sample output (`[header-changed]`, `most likely
# header-changed`, `cause: wrong-secret`), JSON (`"cause": "region"`), serve's log line
# (`wrong-secret(likely)`) and prose (cause `clock-skew`, the `expired` cause).
_ID = r"([a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z]{4,})"
_MENTIONS = [
    re.compile(r"\[([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\]"),  # hyphenated: not [default], [bench]
    re.compile(r"most likely " + _ID),
    re.compile(r"\bcause:? `?" + _ID),
    re.compile(r'"cause": "' + _ID + '"'),
    re.compile(_ID + r"\((?:likely|certain)\)"),
    re.compile(r"`" + _ID + r"` cause"),
]
_NOT_IDS = {"first"}  # "most likely first"


def _mentions(text: str) -> set[str]:
    found = set()
    for pattern in _MENTIONS:
        found.update(m.group(1) for m in pattern.finditer(text))
    return found - _NOT_IDS


def test_docs_name_only_declared_causes() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    undeclared = {
        f"{page.relative_to(REPO)}: {cause}"
        for page in pages
        for cause in _mentions(page.read_text(encoding="utf-8"))
        if cause not in DECLARED
    }
    assert undeclared == set()


def test_the_docs_check_sees_a_cause_named_in_each_way() -> None:
    text = (
        "findings:\n  [header-changed] x\nverdict: mismatch; most likely made-up\n"
        '{"cause": "region"} cause: wrong-secret, serve: clock-skew(likely), '
        "the `expired` cause"
    )
    assert _mentions(text) == {
        "header-changed",
        "made-up",
        "region",
        "wrong-secret",
        "clock-skew",
        "expired",
    }
