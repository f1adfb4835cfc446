"""The docs' tables of measured figures, generated from bench/results.json so each figure is
written once: `python -m bench.docs` rewrites every block between

    <!-- bench.docs NAME: begin -->
    <!-- bench.docs NAME: end -->

in docs/*.md (`--check` only says which differ; tests/unit/test_docs_generated.py fails when one
does). `make bench`, `make eval` and `make cost` write results.json; run this after them.
docs/cost.md's block is bench_cost's own (`make cost` writes it)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
DOCS = ROOT / "docs"
_BLOCK = re.compile(
    r"(<!-- bench\.docs (?P<name>[\w-]+): begin -->\n)(?P<body>.*?)(<!-- bench\.docs (?P=name): end -->)", re.S
)

Results = Mapping[str, Mapping[str, Any]]
CORPORA = (("airline", "airline"), ("s140", "Sentiment140"), ("sanders", "Sanders"))


def _value(results: Results, name: str, digits: int = 3) -> str:
    figure = results.get(name)
    return f"{figure['value']:.{digits}f}" if figure else "not measured"


def _with_baseline(results: Results, name: str) -> str:
    figure = results.get(name)
    return f"{figure['value']:.3f} ({figure['baseline']:.3f})" if figure else "not measured"


def sentiment(results: Results) -> str:
    """Macro-F1 and recall on each corpus beside plain VADER, complaints, departments."""
    f1 = {"airline": "sentiment_macro_f1", "s140": "sentiment_macro_f1_s140", "sanders": "sentiment_macro_f1_sanders"}
    recall = {"s140": "sentiment_macro_recall_s140", "sanders": "sentiment_macro_recall_sanders"}
    rows = [
        "| sentiment (`make eval`) | " + " | ".join(title for _, title in CORPORA) + " |",
        "|---|" + "---|" * len(CORPORA),
        "| macro-F1, ours (plain VADER) | " + " | ".join(_with_baseline(results, f1[c]) for c, _ in CORPORA) + " |",
        "| macro recall, ours (plain VADER) | "
        + " | ".join(_with_baseline(results, recall[c]) if c in recall else "not recorded" for c, _ in CORPORA)
        + " |",
        f"| department accuracy (airline reasons) | {_value(results, 'department_accuracy')} | | |",
    ]
    return "\n".join(rows)


_CORPUS_CELL = re.compile(r"(?P<corpus>airline|s140|sanders) (?P<fired>\d+) fired(?:, (?P<agreed>\d+)% agreed)?")


def sentiment_rules(results: Results) -> str:
    """Every correction sentiment.py makes to VADER: how often it fired on each corpus and how
    often people agreed with it (`sentiment_rules`' note, one rule a ` | `-separated part)."""
    rows = [
        "| rule (`make eval`) | " + " | ".join(title for _, title in CORPORA) + " |",
        "|---|" + "---:|" * len(CORPORA),
    ]
    note = results.get("sentiment_rules", {}).get("note", "")
    for part in filter(None, note.split(" | ")):
        rule, _, counts = part.rpartition(": ")
        cells = {m["corpus"]: m for m in _CORPUS_CELL.finditer(counts)}

        def cell(corpus: str, cells: Mapping[str, re.Match[str]] = cells) -> str:
            m = cells.get(corpus)
            if m is None:
                return "not measured"
            return f"{m['fired']} fired, {m['agreed']}% agreed" if m["agreed"] else f"{m['fired']} fired"

        rows.append(f"| {rule} | " + " | ".join(cell(c) for c, _ in CORPORA) + " |")
    return "\n".join(rows)


def figures(results: Results) -> str:
    """Every figure in results.json: value, baseline, ratio, target and whether it is met."""
    rows = ["| figure | value | baseline | ratio | target | met |", "|---|---:|---:|---:|---|---|"]
    for name in sorted(results):
        f = results[name]
        parts = str(f["target"]).split()
        measured = f["value"] if parts[0] == "value" else f["ratio"]
        met = measured <= float(parts[-1]) if parts[-2] == "<=" else measured >= float(parts[-1])
        rows.append(
            f"| `{name}` | {f['value']:g} {f['unit']} | {f['baseline']:g} | {f['ratio']:.3g} | {f['target']} | "
            f"{'yes' if met else '**no**'} |"
        )
    return "\n".join(rows)


INDUSTRIES = ("apparel", "electronics", "services", "transport")


def complaints(results: Results) -> str:
    """The complaint signal per industry of the development split, on the airline set and on the
    random replies, each beside plain VADER's negativity; then each reason's agreement."""
    rows = [
        "| complaints found, F1 (`make eval`), ours (plain VADER's negativity) | F1 |",
        "|---|---|",
        "| airline tweets (people labelled sentiment: a negative tweet with a reason) | "
        f"{_with_baseline(results, 'complaint_f1')} |",
        *(f"| {i} (development split) | {_with_baseline(results, f'complaint_f1_dev_{i}')} |" for i in INDUSTRIES),
        f"| all four and the random replies | {_with_baseline(results, 'complaint_f1_dev')} |",
        "| random replies called a complaint (rate; none is one) | "
        f"{_with_baseline(results, 'complaint_false_rate_dev_random')} |",
    ]
    rules = results.get("complaint_rules")
    if rules:
        rows += ["", "Each reason of a complaint, where it fired and how often people agreed:", ""]
        rows += [f"- {line.strip()}" for line in str(rules.get("note", "")).split(" | ")]
    return "\n".join(rows)


TRIAGE_CORPORA = (
    ("_airline", "airline tweets"),
    ("_s140", "Sentiment140 test tweets"),
    ("_sanders", "Sanders brand tweets (all, other languages too)"),
    ("_goemotions", "GoEmotions test comments (Reddit)"),
    ("_complaints", "complaints development split (four industries, random replies)"),
)


def triage_speed(results: Results) -> str:
    """Triage's time against VADER alone's and mentions a second on one core, per corpus; the
    worst corpus is the headline."""
    rows = [
        "| corpus (`make bench ONLY=triage`, CPU time) | triage / VADER alone | mentions a second, one core |",
        "|---|---:|---:|",
    ]
    for suffix, name in TRIAGE_CORPORA:
        ratio, speed = results.get(f"triage_ratio{suffix}"), results.get(f"triage_per_core{suffix}")
        if ratio and speed:
            rows.append(f"| {name} | {ratio['ratio']:.2f}x | {speed['value']:,.0f} |")
    worst, fewest = results.get("triage_ratio"), results.get("triage_per_core")
    if worst and fewest:
        rows.append(f"| **the worst (headline)** | **{worst['ratio']:.2f}x** | **{fewest['value']:,.0f}** |")
    return "\n".join(rows)


# Block name -> what renders it. A doc holds a block by writing its two markers.
TABLES: dict[str, Callable[[Results], str]] = {
    "sentiment": sentiment,
    "sentiment-rules": sentiment_rules,
    "complaints": complaints,
    "triage-speed": triage_speed,
    "figures": figures,
}


def load() -> Results:
    results: Results = json.loads(RESULTS.read_text(encoding="utf-8"))
    return results


def render(text: str, results: Results) -> str:
    """`text` with every known block's body generated afresh (unknown names left as they are)."""

    def fill(m: re.Match[str]) -> str:
        make = TABLES.get(m["name"])
        if make is None:
            return m.group(0)
        return f"{m.group(1)}\n{make(results)}\n\n{m.group(4)}"

    return _BLOCK.sub(fill, text)


def blocks(text: str) -> list[str]:
    return [m["name"] for m in _BLOCK.finditer(text)]


def stale(results: Results) -> list[Path]:
    """The docs whose generated blocks differ from what results.json gives."""
    return [
        p
        for p in sorted(DOCS.glob("*.md"))
        if render(p.read_text(encoding="utf-8"), results) != p.read_text(encoding="utf-8")
    ]


def main(argv: list[str]) -> int:
    results = load()
    if "--check" in argv:
        differ = stale(results)
        for path in differ:
            print(f"{path.relative_to(ROOT)}: generated tables differ from bench/results.json (python -m bench.docs)")
        return 1 if differ else 0
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if (new := render(text, results)) != text:
            path.write_text(new, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
