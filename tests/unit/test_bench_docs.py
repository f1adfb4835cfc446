"""The figures a benchmark measures are written into the docs by it (bench.harness.write_block),
between its markers, the rest of the document untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.harness import write_block


def test_a_generated_block_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n\nbefore\n<!-- make x: begin -->\nold figure 0.1\n<!-- make x: end -->\nafter\n")
    write_block(doc, "make x", ["| a | 0.2 |"])
    written = "# Title\n\nbefore\n<!-- make x: begin -->\n\n| a | 0.2 |\n\n<!-- make x: end -->\nafter\n"
    assert doc.read_text() == written
    write_block(doc, "make x", ["| a | 0.3 |"])  # again: the same shape, the new figure
    assert "0.2" not in doc.read_text() and doc.read_text().count("| a | 0.3 |") == 1


def test_a_document_without_the_markers_is_refused(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n")
    with pytest.raises(ValueError, match="make x: begin"):
        write_block(doc, "make x", ["| a |"])
    assert doc.read_text() == "# Title\n"
