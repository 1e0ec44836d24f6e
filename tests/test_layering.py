"""smallcap/ is plain Python: it never imports Prefect or the layers above it (flows, tasks, app).

The same rule is an import-linter contract (pyproject.toml, `make test`); this test keeps it where
lint-imports is not run. Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("prefect", "flows", "tasks", "app")


def imported_modules(source: str) -> list[tuple[int, str]]:
    """Every absolute module a Python source imports, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def forbidden_imports(folder: Path) -> list[str]:
    bad = []
    for path in sorted(folder.rglob("*.py")):
        for line, module in imported_modules(path.read_text(encoding="utf-8")):
            if module.split(".")[0] in FORBIDDEN:
                bad.append(f"{path.relative_to(folder.parent)}:{line} imports {module}")
    return bad


def test_smallcap_imports_neither_prefect_nor_flows_tasks_or_app() -> None:
    assert forbidden_imports(ROOT / "smallcap") == []


@pytest.mark.parametrize(
    "source",
    [
        "from prefect.blocks.system import Secret",
        "def key():\n    import prefect.blocks.system\n",
        "from tasks.extract import extract_closes",
        "import flows.weekly_report as w",
        "from app import cli",
    ],
)
def test_the_check_sees_every_form_of_import(tmp_path: Path, source: str) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "mod.py").write_text(source + "\n", encoding="utf-8")
    [found] = forbidden_imports(folder)
    assert found.startswith("pkg/mod.py:")


def test_relative_and_similar_names_are_not_mistaken() -> None:
    source = "from . import tasks\nimport prefecture\nfrom smallcap.report import draft\n"
    assert [m for _, m in imported_modules(source) if m.split(".")[0] in FORBIDDEN] == []
