"""Triage compiled by mypyc (infra/native.py): what runs is what was built from today's sources."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from infra import native


def _tree(tmp_path: Path) -> Path:
    """A copy of triage's sources with a recorded build of them (an extension file stands in)."""
    folder = tmp_path / native.PACKAGE
    folder.mkdir(parents=True)
    for source in native.sources():
        shutil.copy(source, folder / source.name)
    (folder / f"tokens{native.RUNTIME.suffix}").write_bytes(b"\x7fELF")
    record = {"python": native._suffix(), "build": native._how(), "sources": native._digests(tmp_path)}
    (tmp_path / native.RECORD).parent.mkdir()
    (tmp_path / native.RECORD).write_text(json.dumps(record))
    return tmp_path


def test_a_build_of_todays_sources_is_current(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert native.stale(root) == [] and native.built(root)


def test_an_extension_older_than_its_source_is_stale(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / native.PACKAGE / "sentiment.py").write_text("# edited after the build\n", encoding="utf-8")
    assert native.stale(root) == ["chalicelib/triage/sentiment.py changed since it was compiled"]
    assert not native.built(root)


def test_extensions_without_a_record_are_stale_and_none_at_all_is_plain_python(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / native.RECORD).unlink()
    assert native.stale(root) == ["chalicelib/triage holds extensions without build/native.json"]
    native.remove(root)
    assert native.stale(root) == [] and not native.built(root)


@pytest.mark.skipif(os.environ.get("CI") != "true" and not native.built(), reason="not built here (make native)")
def test_the_tests_run_the_compiled_modules_that_are_deployed() -> None:
    # CI builds them (make test): triage's tests, its bench and the package all run the extensions.
    from chalicelib.triage import pipeline, sentiment, valence

    assert native.built()
    assert all(Path(m.__file__ or "").suffix == ".so" for m in (pipeline, sentiment, valence))


built_here = pytest.mark.skipif(not native.built(), reason="not built here (make native)")


def _package(tmp_path: Path, rename: dict[str, str] | None = None, patch: bytes = b"") -> Path:
    """A zip holding this build's extensions as a package would, optionally renamed or with the
    ELF machine field patched (a build for another Python or machine)."""
    zip_path = tmp_path / "deployment.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in native.extensions():
            name = f"{native.PACKAGE}/{path.name}"
            for old, new in (rename or {}).items():
                name = name.replace(old, new)
            data = path.read_bytes()
            archive.writestr(name, data[:18] + patch + data[18 + len(patch) :])
    return zip_path


@built_here
def test_this_build_loads_on_lambdas_python_3_13_on_x86_64(tmp_path: Path) -> None:
    assert native.RUNTIME.name == "python3.13" and native.RUNTIME.suffix == ".cpython-313-x86_64-linux-gnu.so"
    assert native.check(_package(tmp_path)) == []


@built_here
def test_extensions_for_another_python_are_refused(tmp_path: Path) -> None:
    problems = native.check(_package(tmp_path, rename={"cpython-313": "cpython-311"}))
    assert any("pipeline.cpython-313-x86_64-linux-gnu.so is missing" in p for p in problems)
    assert any("cpython-311" in p and "is not for python3.13 on x86_64" in p for p in problems)


@built_here
def test_an_extension_built_for_arm64_is_refused_on_x86_64(tmp_path: Path) -> None:
    problems = native.check(_package(tmp_path, patch=(0xB7).to_bytes(2, "little")))
    assert problems and all("is built for aarch64" in p for p in problems)


@built_here
def test_an_extension_needing_a_newer_glibc_than_the_runtime_is_refused(tmp_path: Path) -> None:
    older = replace(native.RUNTIME, glibc=(2, 2), system="an older system")
    problems = native.check(_package(tmp_path), runtime=older)
    assert problems and all("needs glibc 2." in p and "(an older system has 2.2)" in p for p in problems)


def test_packaging_refuses_another_python_than_the_runtimes() -> None:
    other = replace(native.RUNTIME, name="python3.11", python=(3, 11))
    assert native.running_python_problem() == ""  # the tests run on the runtime's Python
    said = native.running_python_problem(other)
    assert "Lambda's python3.11" in said and "Python 3.11" in said
