"""`make bench`: run every bench/bench_*.py in a fresh interpreter of its own (benchmarks set
their own environment), print a table, and write bench/results.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.harness import ROOT, Figure

HERE = Path(__file__).parent
RUNNER = "import json, sys; from bench.{name} import run; print('FIGURES ' + json.dumps([f.__dict__ for f in run()]))"


def run_module(name: str) -> list[Figure]:
    done = subprocess.run(
        [sys.executable, "-c", RUNNER.format(name=name)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("FIGURES ")]
    if done.returncode != 0 or not lines:
        print(done.stdout[-2000:], done.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"{name} failed")
    return [Figure(**doc) for doc in json.loads(lines[-1][len("FIGURES ") :])]


def main(argv: list[str]) -> int:
    from infra import native

    if notice := native.stale_notice():  # a figure of yesterday's code is no figure
        raise SystemExit(notice)
    prefix = "eval_" if "--eval" in argv else "bench_"
    only = {a for a in argv if not a.startswith("--")}
    figures: list[Figure] = []
    for path in sorted(HERE.glob(f"{prefix}*.py")):
        if only and path.stem not in only and path.stem.removeprefix(prefix) not in only:
            continue
        print(f"running {path.stem} ...", flush=True)
        figures.extend(run_module(path.stem))
    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results.update({f.name: f.as_json() for f in figures})
    results_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"\n{'figure':<36}{'value':>12}{'baseline':>14}{'ratio':>9}  {'target':<9} met")
    for f in figures:
        print(
            f"{f.name:<36}{f.value:>10.3f} {f.unit:<3}{f.baseline:>10.3f} {f.unit:<3}{f.ratio:>9.3f}  "
            f"{f.target:<9} {'yes' if f.met else 'NO'}"
        )
        if f.note:
            print(f"  {f.note}")
    print(f"\nwritten to {results_path}")
    return 0 if all(f.met for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
