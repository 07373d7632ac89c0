"""Import rules: the layers point inward and the domain stays pure.

The contracts live in pyproject.toml ([tool.importlinter]); these tests run them, show
that they do break when a rule is broken, and check what the contracts cannot say: that
the domain imports nothing but the standard library, Shapely and itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
DOMAIN_MAY_IMPORT = frozenset(sys.stdlib_module_names) | {"shapely"}

LAYERS = "Layers point inward"
SERVICES = "Services depend on ports"
PURE_DOMAIN = "The domain is pure"


def lint_imports(root: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the venv's lint-imports on the contracts in `root`/pyproject.toml."""
    env = dict(os.environ)
    if pythonpath is not None:  # ahead of the editable install's path to the real src
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def verdicts(output: str) -> dict[str, str]:
    """Contract name prefix -> KEPT or BROKEN, from the linter's report."""
    found = {}
    for line in output.splitlines():
        for prefix in (LAYERS, SERVICES, PURE_DOMAIN):
            if line.startswith(prefix) and line.rsplit(" ", 1)[-1] in ("KEPT", "BROKEN"):
                found[prefix] = line.rsplit(" ", 1)[-1]
    return found


def foreign_imports(package: str, subpackage: str) -> dict[str, set[str]]:
    """Top-level packages, other than `package` itself, the standard library and
    Shapely, that modules of `package.subpackage` import directly: {package: importers}."""
    graph = grimp.build_graph(package, include_external_packages=True, cache_dir=None)
    root = f"{package}.{subpackage}"
    found: dict[str, set[str]] = {}
    for module in {root} | graph.find_descendants(root):
        for imported in graph.find_modules_directly_imported_by(module):
            top = imported.split(".")[0]
            if top != package and top not in DOMAIN_MAY_IMPORT:
                found.setdefault(top, set()).add(module)
    return found


def test_the_import_contracts_are_kept() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert verdicts(result.stdout) == {LAYERS: "KEPT", SERVICES: "KEPT", PURE_DOMAIN: "KEPT"}
    assert "0 broken" in result.stdout


def test_the_domain_imports_only_the_standard_library_shapely_and_itself() -> None:
    assert foreign_imports("deconflict", "domain") == {}


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("domain/leak.py", "import sqlalchemy\n", {PURE_DOMAIN}),
        ("domain/leak.py", "from deconflict.services import ports\n", {LAYERS, PURE_DOMAIN}),
        ("services/leak.py", "from deconflict.adapters import sql\n", {LAYERS, SERVICES}),
        ("services/leak.py", "from deconflict import config\n", {SERVICES}),
        ("adapters/leak.py", "from deconflict import bootstrap\n", {LAYERS}),
        ("bootstrap.py", "from deconflict.entrypoints.api import app\n", {LAYERS}),
        ("newlayer.py", "", {LAYERS}),  # every top-level module must be placed in a layer
    ],
    ids=[
        "domain-imports-sqlalchemy",
        "domain-imports-services",
        "services-import-adapters",
        "services-import-config",
        "adapters-import-bootstrap",
        "bootstrap-imports-entrypoints",
        "undeclared-module",
    ],
)
def test_the_contracts_break_when_a_rule_is_broken(
    tmp_path: Path, module: str, source: str, broken: set[str]
) -> None:
    src = tmp_path / "src"
    shutil.copytree(
        REPO / "src" / "deconflict",
        src / "deconflict",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = src / "deconflict" / module
    with target.open("a") as f:
        f.write(source)

    result = lint_imports(tmp_path, pythonpath=src)

    assert result.returncode == 1, result.stdout + result.stderr
    found = verdicts(result.stdout)
    assert {name for name, verdict in found.items() if verdict == "BROKEN"} == broken
    assert set(found) == {LAYERS, SERVICES, PURE_DOMAIN}
    if module.endswith("leak.py"):  # proves the copy, not the installed package, was linted
        assert f"deconflict.{module.removesuffix('.py').replace('/', '.')}" in result.stdout


def test_the_purity_check_finds_a_foreign_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "purity_probe"
    (package / "domain").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "domain" / "__init__.py").write_text("import math\nimport shapely\n")
    (package / "domain" / "model.py").write_text(
        "from __future__ import annotations\nimport sqlalchemy.orm\n"
    )
    (package / "adapters.py").write_text("import numpy\n")  # outside the domain: not its business
    monkeypatch.syspath_prepend(str(tmp_path))

    assert foreign_imports("purity_probe", "domain") == {
        "sqlalchemy": {"purity_probe.domain.model"}
    }
