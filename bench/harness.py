"""Shared by the benchmarks: figures, and interleaved timing of fresh interpreters."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The development data sets live outside the repository (their licences keep them out of it):
# ../shared/data beside the checkout, or wherever SHAREDWATCH_DATA_DIR says.
DATA_DIR = Path(os.environ.get("SHAREDWATCH_DATA_DIR") or ROOT.parent / "shared" / "data")
# `python -m bench --short` (CI's smoke run) sets this for each benchmark's interpreter: small
# inputs, so that a benchmark that no longer runs fails the submission; its figures mean nothing.
# Read once, here: in_process_environment() clears SHAREDWATCH_* before the app is imported.
SHORT = os.environ.get("SHAREDWATCH_BENCH_SHORT") == "1"


def scaled(full: int, short: int) -> int:
    """An input size: `full` for the figures, `short` for the smoke run."""
    return short if SHORT else full


def sliced[T](items: list[T], short: int) -> list[T]:
    """All of a data set for the figures, its first `short` for the smoke run."""
    return items[:short] if SHORT else items


def write_block(doc: Path, name: str, lines: list[str]) -> None:
    """Replace a document's generated part, between `<!-- {name}: begin -->` and `<!-- {name}:
    end -->` (the figures a command measures are written by it, never copied by hand)."""
    begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
    head, found, rest = doc.read_text().partition(begin)
    if not found:
        raise ValueError(f"{doc} has no {begin}")
    _, _, tail = rest.partition(end)
    doc.write_text("\n".join([head + begin, "", *lines, "", end]) + tail)


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float
    ratio: float
    target: str
    note: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)  # what the figure was worked out from

    def as_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc.pop("name")
        if not doc["inputs"]:
            doc.pop("inputs")
        return doc

    @property
    def met(self) -> bool:
        """Targets read "<= 1.3" (on the ratio) or "value >= 0.60" (on the value itself)."""
        parts = self.target.split()
        measured = self.value if parts[0] == "value" else self.ratio
        op, limit = parts[-2], float(parts[-1])
        return measured <= limit if op == "<=" else measured >= limit


def in_process_environment(**extra: str) -> None:
    """What an in-process benchmark runs under: fake credentials for moto's mock_aws, the bench
    stage, quiet logs, no metrics. Set before anything of the app is imported."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "SHAREDWATCH_")):
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "SHAREDWATCH_STAGE": "bench",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
            **extra,
        }
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SHAREDWATCH_", "PYTHON"))}
    env.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    env.update(extra)
    return env


def time_once(argv: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def interleaved_medians(commands: dict[str, tuple[list[str], Path, dict[str, str]]], runs: int) -> dict[str, float]:
    """Median wall time of each command, runs interleaved so machine noise hits all alike."""
    for argv, cwd, env in commands.values():  # warm the page cache; not counted
        time_once(argv, cwd=cwd, env=env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, cwd, env) in commands.items():
            samples[name].append(time_once(argv, cwd=cwd, env=env))
    return {name: statistics.median(values) for name, values in samples.items()}
