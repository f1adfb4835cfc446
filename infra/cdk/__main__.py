"""`python -m infra.cdk` (what cdk.json runs): synthesize one stage's stack.

The stage comes from SHAREDWATCH_STAGE (the Makefile passes STAGE), because the app's own
modules read their settings once, at import, and `chalice package` imports the app in this
process. Everything else comes from CDK context (`-c key=value` or cdk.json)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    stage = os.environ.setdefault("SHAREDWATCH_STAGE", "dev")
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("CDK_DEFAULT_REGION", "us-east-1"))
    os.environ.setdefault("SHAREDWATCH_RESOURCE_PREFIX", f"sharedwatch-{stage}-")
    # The CLI's paths are relative to infra/cdk (where cdk.json is); this process moves to the root.
    for name in ("CDK_OUTDIR", "CDK_PERF_COUNTERS_FILE"):
        if os.environ.get(name):
            os.environ[name] = str(Path(__file__).parent / os.environ[name])
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)  # chalice packages the project from here and writes chalice.out/ here

    from infra import native

    # chalice names each function's runtime after the Python that packages it
    if wrong := native.running_python_problem():
        print(f"infra.cdk: {wrong}", file=sys.stderr)
        return 1

    import aws_cdk as cdk

    from infra.cdk.stack import SharedwatchStack, StageConfig

    app = cdk.App()
    context = app.node.try_get_context
    domains = tuple(d.strip() for d in str(context("company_domains") or "example.com").split(",") if d.strip())
    config = StageConfig(
        stage=stage,
        company_domains=domains,
        public_base_url=str(context("public_base_url") or f"https://sharedwatch-{stage}.example.com"),
        alarm_email=str(context("alarm_email") or ""),
    )
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT") or context("account") or "123456789012",
        region=os.environ["AWS_DEFAULT_REGION"],
    )
    SharedwatchStack(app, f"sharedwatch-{stage}", config=config, env=env)
    app.synth()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
