"""Each measured figure is written once, in bench/results.json: the docs' tables are generated
from it (`python -m bench.docs`), and the README is a short front door into the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import docs

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted(docs.DOCS.glob("*.md")), ids=lambda p: p.name)
def test_each_docs_table_is_what_results_json_generates(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert docs.render(text, docs.load()) == text, f"{path.name} differs: run python -m bench.docs"


def test_a_changed_figure_changes_its_table() -> None:
    results = {name: dict(figure) for name, figure in docs.load().items()}
    text = (docs.DOCS / "triage.md").read_text(encoding="utf-8")
    results["department_accuracy"]["value"] = 0.123
    assert "| department accuracy (airline reasons) | 0.123 |" in docs.render(text, results)
    results["sentiment_rules"]["note"] = "AFINN says so -> negative: airline 10 fired, 50% agreed; s140 0 fired"
    rules = docs.render("<!-- bench.docs sentiment-rules: begin -->\n<!-- bench.docs sentiment-rules: end -->", results)
    assert "| AFINN says so -> negative | 10 fired, 50% agreed | 0 fired | not measured |" in rules


def test_every_block_a_doc_holds_has_a_generator() -> None:
    unknown = [
        (p.name, name) for p in docs.DOCS.glob("*.md") for name in docs.blocks(p.read_text()) if name not in docs.TABLES
    ]
    assert not unknown
    held = {name for p in docs.DOCS.glob("*.md") for name in docs.blocks(p.read_text())}
    assert held == set(docs.TABLES), "a generator no doc holds"


_LINK = re.compile(r"\]\(([^)\s]+)\)|href=\"([^\"]+)\"|src=\"([^\"]+)\"")


def test_the_readme_is_short_and_links_only_into_the_repository() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    links = [next(g for g in m.groups() if g) for m in _LINK.finditer(text)]
    assert links, "the README links into docs/"
    outside = [link for link in links if re.match(r"[a-z][a-z0-9+.-]*:|/|\.\./", link)]
    assert not outside, f"links out of the repository: {outside}"
    missing = [link for link in links if not (ROOT / link.split("#")[0]).exists()]
    assert not missing, f"links to nothing: {missing}"
