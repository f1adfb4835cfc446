"""`make doctor STAGE=...`: what would stop a message reaching a person on a stage, each finding
with its fix (chalicelib/policy/readiness.py decides; chalicelib/flows/readiness.py asks).

It runs on the operator's machine with the operator's AWS credentials and reads the stage as
its functions see it: the deployed API function's environment (CloudFormation names the
function, Lambda gives its configuration), so the same tables, topics, parameters and identity
provider are asked about. `--stage local` asks the running local stack (`make run`) instead,
through the moto endpoint in .local/credentials.json. Every call is a read. Exits 1 while
anything blocks, 2 when the stage cannot be found."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
LOCAL = "local"


class StageNotFound(Exception):
    """The stage to ask about is not running or not deployed: one line says what to do."""


def local_environment(state: Path) -> dict[str, str]:
    """The app's environment in the running local stack, from what it wrote at start."""
    from infra.local.stack import app_environment

    path = state / "credentials.json"
    try:
        credentials = json.loads(path.read_text())
        base, moto = urlsplit(credentials["base_url"]), urlsplit(credentials["moto_endpoint"])
    except (OSError, ValueError, KeyError):
        raise StageNotFound(f"no running local stack ({path} is missing or old): start it with `make run`") from None
    try:
        with urllib.request.urlopen(f"{credentials['moto_endpoint']}/moto-api/", timeout=3):
            pass
    except (urllib.error.URLError, OSError):
        raise StageNotFound(
            f"the local stack at {credentials['base_url']} is not running: start it with `make run`"
        ) from None
    env = app_environment(port=base.port or 80, moto_port=moto.port or 80, state=state)
    if credentials.get("oidc_issuer"):
        env["SHAREDWATCH_OIDC_ISSUER"] = credentials["oidc_issuer"]
    return env


def deployed_environment(stage: str) -> dict[str, str]:
    """The environment CloudFormation gave the stage's API function."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    stack = f"sharedwatch-{stage}"
    try:
        resource = boto3.client("cloudformation").describe_stack_resource(
            StackName=stack, LogicalResourceId="APIHandler"
        )
        name = resource["StackResourceDetail"]["PhysicalResourceId"]
        config = boto3.client("lambda").get_function_configuration(FunctionName=name)
    except (ClientError, BotoCoreError) as exc:
        raise StageNotFound(
            f"stage {stage!r} is not deployed where your AWS credentials point ({exc}): "
            f"`make deploy STAGE={stage}` first, or set AWS_PROFILE / AWS_REGION"
        ) from None
    region = config["FunctionArn"].split(":")[3]
    return {**config.get("Environment", {}).get("Variables", {}), "AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def render(document: dict[str, Any]) -> str:
    findings = document["findings"]
    lines = [
        f"sharedwatch doctor: stage {document['stage']} ({document['region']}): "
        + (
            "nothing found that stops a message reaching a person"
            if document["ready"]
            else f"{document['blockers']} finding(s) stop messages reaching someone"
        ),
        "",
    ]
    for f in findings:
        lines.append(f"{f['level'].upper():8} {f['title']}")
        lines.append(f"{'':8} seen: {f['seen']}")
        if f["fix"]:
            lines.append(f"{'':8} fix:  {f['fix']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.doctor", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"))
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".local", help="the local stack's (--stage local)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    try:
        env = local_environment(args.state_dir) if args.stage == LOCAL else deployed_environment(args.stage)
    except StageNotFound as exc:
        print(f"doctor: {exc}", file=sys.stderr)
        return 2
    os.environ.update(env)  # before the app's modules read their settings (once per process)
    from chalicelib.api.readiness import readiness_document

    document = readiness_document()
    print(json.dumps(document, indent=1) if args.json else render(document))
    return 0 if document["ready"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
