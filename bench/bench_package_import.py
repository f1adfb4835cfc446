"""package_import_ratio: `import app` from a read-only copy of the deployment package that
`make package` builds (chalice package + compiled bytecode), against the same import from the
virtualenv. Both run with the base interpreter, no site, and no bytecode writing, as Lambda's
read-only /var/task does not let Python cache what it compiles."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.harness import ROOT, Figure, clean_env, interleaved_medians, scaled
from infra.package import add_bytecode, chalice_package

RUNS = scaled(9, 2)


def _site_packages() -> str:
    return next(p for p in sys.path if p.endswith("site-packages") and str(ROOT) in p)


def run() -> list[Figure]:
    base_python = getattr(sys, "_base_executable", sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "package"
        zip_path = chalice_package("dev", out)
        plain = Path(tmp) / "plain"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(plain)
        add_bytecode(zip_path)
        compiled = Path(tmp) / "compiled"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(compiled)
        for tree in (plain, compiled):
            for path in tree.rglob("*"):
                os.chmod(path, 0o555 if path.is_dir() else 0o444)
        argv = [base_python, "-S", "-c", "import app"]
        venv_path = os.pathsep.join([str(ROOT), _site_packages()])
        medians = interleaved_medians(
            {
                "venv": (argv, ROOT, clean_env(PYTHONPATH=venv_path, PYTHONDONTWRITEBYTECODE="1")),
                "compiled": (argv, compiled, clean_env(PYTHONPATH=str(compiled), PYTHONDONTWRITEBYTECODE="1")),
                "plain": (argv, plain, clean_env(PYTHONPATH=str(plain), PYTHONDONTWRITEBYTECODE="1")),
            },
            RUNS,
        )
        for tree in (plain, compiled):
            for path in tree.rglob("*"):
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
        shutil.rmtree(out, ignore_errors=True)
    return [
        Figure(
            name="package_import_ratio",
            value=round(medians["compiled"] * 1000, 1),
            unit="ms",
            baseline=round(medians["venv"] * 1000, 1),
            ratio=round(medians["compiled"] / medians["venv"], 3),
            target="<= 1.15",
            note=(
                f"chalice package without bytecode: {medians['plain'] * 1000:.1f} ms "
                f"({medians['plain'] / medians['venv']:.2f}x); medians of {RUNS} interleaved runs"
            ),
        )
    ]
