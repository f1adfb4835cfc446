"""Triage compiled by mypyc (infra/native.py): what runs is what was built from today's sources."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from infra import native


def _tree(tmp_path: Path) -> Path:
    """A copy of triage's sources with a recorded build of them (an extension file stands in)."""
    folder = tmp_path / native.PACKAGE
    folder.mkdir(parents=True)
    for source in native.sources():
        shutil.copy(source, folder / source.name)
    (folder / "tokens.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
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
