"""cold_import_ratio: a fresh `import app` against `import boto3` plus a DynamoDB and an SNS
client (the floor every Lambda in this stack pays), medians of interleaved runs."""

from __future__ import annotations

import sys

from bench.harness import ROOT, Figure, clean_env, interleaved_medians

RUNS = 11
BASELINE = (
    "import boto3; boto3.client('dynamodb', region_name='us-east-1'); boto3.client('sns', region_name='us-east-1')"
)


def run() -> list[Figure]:
    env = clean_env(SHAREDWATCH_STAGE="dev")
    medians = interleaved_medians(
        {
            "app": ([sys.executable, "-c", "import app"], ROOT, env),
            "boto3": ([sys.executable, "-c", BASELINE], ROOT, env),
            "python": ([sys.executable, "-c", "pass"], ROOT, env),
        },
        RUNS,
    )
    return [
        Figure(
            name="cold_import_ratio",
            value=round(medians["app"] * 1000, 1),
            unit="ms",
            baseline=round(medians["boto3"] * 1000, 1),
            ratio=round(medians["app"] / medians["boto3"], 3),
            target="<= 1.4",
            note=f"python -c pass: {medians['python'] * 1000:.1f} ms; medians of {RUNS} interleaved runs",
        )
    ]
