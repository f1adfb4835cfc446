"""The deployment package: compiled bytecode for every app module, nothing from tests/ or infra/."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from infra.package import add_bytecode, chalice_package, check_package, runtimes


def test_the_package_holds_bytecode_and_only_what_lambda_needs(tmp_path: Path) -> None:
    zip_path = chalice_package("dev", tmp_path / "package")
    assert any("has no compiled bytecode" in p for p in check_package(zip_path))
    assert add_bytecode(zip_path) > 100
    assert check_package(zip_path) == []
    names = set(zipfile.ZipFile(zip_path).namelist())
    assert {"app.py", "chalicelib/web/templates/report_form.html", "chalicelib/web/static/app.css"} <= names
    # The sentiment model and lexicons ship inside the package, each with its licence.
    assert {
        "chalicelib/triage/goemotions.json",
        "chalicelib/triage/goemotions-LICENSE.md",
        "chalicelib/triage/afinn-en-165.txt",
        "chalicelib/triage/afinn-LICENSE.md",
    } <= names
    assert not any(n.startswith(("tests/", "infra/", "bench/")) for n in names)
    sam = tmp_path / "package" / "sam.json"
    assert set(runtimes(sam).values()) == {"python3.13/x86_64"}
    # a template naming another runtime (a package built with another Python) is refused
    template = json.loads(sam.read_text())
    template["Resources"]["APIHandler"]["Properties"]["Runtime"] = "python3.11"
    sam.write_text(json.dumps(template))
    assert check_package(zip_path) == ["APIHandler runs python3.11/x86_64, not python3.13/x86_64"]
