"""`make bench`: run every bench/bench_*.py in a fresh interpreter of its own (benchmarks set
their own environment), print a table, and write bench/results.json; `--eval` runs the
bench/eval_*.py instead. Names without dashes run those alone (`make bench ONLY=triage`).

`--short` is the smoke run CI makes: each benchmark on small inputs (SHAREDWATCH_BENCH_SHORT=1,
read by bench.harness), targets printed but not asserted, results.json left alone. Either way a
benchmark fails the run when it raises, or when it gives no figures although the data it names
in NEEDS is there (a benchmark that returns nothing would otherwise pass unnoticed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import ROOT, Figure

HERE = Path(__file__).parent
RUNNER = (
    "import json; from pathlib import Path; import bench.{name} as m; "
    "missing = [str(p) for p in getattr(m, 'NEEDS', ()) if not Path(p).is_file()]; "
    "print('FIGURES ' + json.dumps({{'figures': [f.__dict__ for f in m.run()], 'missing': missing}}))"
)


class Failed(Exception):
    """A benchmark that did not run, or ran and measured nothing."""


def run_module(name: str, *, short: bool) -> list[Figure]:
    env = {**os.environ, "SHAREDWATCH_BENCH_SHORT": "1" if short else "0"}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER.format(name=name)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("FIGURES ")]
    if done.returncode != 0 or not lines:
        print(done.stdout[-2000:], done.stderr[-4000:], file=sys.stderr)
        raise Failed(f"{name} failed (exit {done.returncode})")
    answer = json.loads(lines[-1][len("FIGURES ") :])
    figures = [Figure(**doc) for doc in answer["figures"]]
    if not figures:
        if not answer["missing"]:
            print(done.stderr[-2000:], file=sys.stderr)
            raise Failed(f"{name} gave no figures although everything it needs is there")
        print(f"  skipped: no {', '.join(answer['missing'])}", flush=True)
    return figures


def _row(f: Figure) -> str:
    return (
        f"{f.name:<36}{f.value:>10.3f} {f.unit:<3}{f.baseline:>10.3f} {f.unit:<3}{f.ratio:>9.3f}  "
        f"{f.target:<13} {'yes' if f.met else 'NO'}"
    )


def _record(figures: list[Figure]) -> None:
    """Into bench/results.json, keeping the figures this run did not measure."""
    path = HERE / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results.update({f.name: f.as_json() for f in figures})
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def main(argv: list[str]) -> int:
    from infra import native

    if notice := native.stale_notice():  # a figure of yesterday's code is no figure
        raise SystemExit(notice)
    short = "--short" in argv
    prefix = "eval_" if "--eval" in argv else "bench_"
    only = {a for a in argv if not a.startswith("--")}
    figures: list[Figure] = []
    failed: list[str] = []
    started = time.monotonic()
    for path in sorted(HERE.glob(f"{prefix}*.py")):
        if only and path.stem not in only and path.stem.removeprefix(prefix) not in only:
            continue
        print(f"running {path.stem}{' (short)' if short else ''} ...", flush=True)
        begun = time.monotonic()
        try:
            measured = run_module(path.stem, short=short)
        except Failed as failure:
            failed.append(str(failure))  # the rest still run: one broken benchmark hides no other
            measured = []
        figures.extend(measured)
        for f in measured:  # as they come: a long run stopped part-way still shows what it measured
            print(f"  {_row(f)}", flush=True)
        if measured and not short:
            _record(measured)
        print(f"  {time.monotonic() - begun:.1f} s", flush=True)
    print(f"\n{'figure':<36}{'value':>12}{'baseline':>14}{'ratio':>9}  {'target':<13} met")
    for f in figures:
        print(_row(f))
        if f.note:
            print(f"  {f.note}")
    print(f"\n{len(figures)} figures in {time.monotonic() - started:.0f} s")
    if short:
        print("short run: small inputs, so the figures mean nothing; targets not asserted, results not written")
    elif figures:
        print(f"written to {HERE / 'results.json'}")
    for failure in failed:
        print(f"FAILED: {failure}", file=sys.stderr)
    if failed:
        return 1
    return 0 if short or all(f.met for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
