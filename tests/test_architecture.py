"""The domain core stays framework-free: no web, ORM, forms or media library in trainer/core."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"flask", "flask_babel", "flask_login", "flask_wtf", "flask_limiter", "sqlalchemy",
             "alembic", "wtforms", "werkzeug", "moviepy", "jinja2", "huey", "redis", "psycopg"}
CORE = Path(__file__).resolve().parent.parent / "trainer" / "core"


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_no_framework():
    offenders = {
        str(path.relative_to(CORE)): sorted(imported_roots(path) & FORBIDDEN)
        for path in CORE.rglob("*.py")
        if imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_core_imports_no_feature_package():
    feature_imports = {
        str(path.relative_to(CORE))
        for path in CORE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module
        and node.module.startswith("trainer.") and not node.module.startswith("trainer.core")
    }
    assert feature_imports == set()


def test_the_check_itself_catches_a_framework_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom sqlalchemy.orm import Session\nimport flask.json\n")
    assert imported_roots(sample) & FORBIDDEN == {"sqlalchemy", "flask"}
