"""`make bench`: run every bench/bench_*.py, print a table, write bench/results.json."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from bench.harness import Figure

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    only = set(argv)
    figures: list[Figure] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if only and path.stem not in only and path.stem.removeprefix("bench_") not in only:
            continue
        print(f"running {path.stem} ...", flush=True)
        figures.extend(importlib.import_module(f"bench.{path.stem}").run())
    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results.update({f.name: f.as_json() for f in figures})
    results_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"\n{'figure':<28}{'value':>12}{'baseline':>12}{'ratio':>9}  {'target':<9} met")
    for f in figures:
        print(
            f"{f.name:<28}{f.value:>9.1f} {f.unit:<2}{f.baseline:>9.1f} {f.unit:<2}{f.ratio:>9.3f}  "
            f"{f.target:<9} {'yes' if f.met else 'NO'}"
        )
        if f.note:
            print(f"  {f.note}")
    print(f"\nwritten to {results_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
