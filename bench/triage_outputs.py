"""Triage's outputs post by post on the five corpora bench_triage times, one JSON line a post,
so a change made for speed can show it changed nothing: write them before and after, compare.

    PYTHONHASHSEED=0 python -m bench.triage_outputs before.jsonl   # then again after; cmp them

PYTHONHASHSEED is fixed so that two runs differ only by the change: no output should follow the
process's string hashes (a reason once named whichever of its words a set gave first: 87 posts)."""

from __future__ import annotations

import json
import os
import sys

from bench.bench_triage import CORPORA


def write(path: str) -> int:
    from chalicelib.triage import forget, triage_text

    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for suffix, _, read in CORPORA:
            forget()  # each corpus read as a new process reads it
            for n, text in enumerate(read()):
                triage = triage_text(text, identity=f"x:{n}").as_dict()
                out.write(json.dumps([suffix, n, triage], sort_keys=True, ensure_ascii=False) + "\n")
                count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get("PYTHONHASHSEED") in (None, "random"):
        print("set PYTHONHASHSEED (e.g. 0): two runs should differ only by the change", file=sys.stderr)
        return 2
    print(f"{write(argv[0])} posts triaged into {argv[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
