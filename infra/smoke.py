"""`make smoke STAGE=... INBOX=you@example.com`: a deployed stage proves itself end to end, each
step timed. A mention signed with the generic source's secret goes through API Gateway, a report
goes through the report form, and each is followed until the delivery log says its notification
was sent and it is seen in the inbox the operator named.

It routes only what it sends: a group `smoke` whose one member is the inbox, and a rule `smoke`
(first, and stopping there) for the marker word `sharedwatch-smoke`, so no real group hears the
check. Both stay for the next run (an email member confirms once); `DELETE /api/rules/smoke`
removes the route. Each run's texts are fresh words, so a run never joins an earlier run's story.

Against AWS: the base URL is the stack's `EndpointURL` output (or --base-url), the secret is read
from SSM with your credentials, the API token is --token / SHAREDWATCH_TOKEN (an admin's personal
token) or else the break-glass admin_token parameter. Whether the mail reached the inbox is for
you to say (press Enter when it is there): nothing here can read your mailbox.
`--stage local` runs against the running local stack (`make run`), whose outbox is the inbox."""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
MARKER = "sharedwatch-smoke"
GROUP = "smoke"
LOCAL_MEMBER = "smoke@example.com"
# Plain words for each run's text: a post joins an earlier story only when their words resemble.
WORDS = (
    "amber anchor apple arrow basket beacon birch bridge canyon cedar chalk cobalt comet copper coral crane "
    "delta ember falcon fern garnet glacier granite harbor hazel heron indigo island jasper juniper kestrel "
    "lagoon lantern linen maple marble meadow mesa nickel oak orbit otter pebble pepper pine plaza quartz "
    "quill raven reef ridge river saffron sage sparrow spruce summit tidal timber topaz tulip valley velvet "
    "violet walnut willow zephyr"
)
# Each process of the app keeps the routing it read this long (SHAREDWATCH_CONFIG_CACHE_SECONDS):
# a route made just now is in force everywhere only after it.
ROUTE_SETTLES = 35.0


class SmokeFailed(Exception):
    """A step did not happen in time, or could not start: one line says which and why."""


@dataclass
class Target:
    stage: str
    base_url: str
    token: str
    generic_secret: str
    inbox: str  # the member address notifications go to
    outbox_url: str = ""  # the local stack's: where its "inbox" is read
    moto_endpoint: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Step:
    name: str
    seconds: float | None
    detail: str = ""


def _request(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    if not url.startswith(("http://", "https://")):
        raise SmokeFailed(f"not an http(s) URL: {url[:80]}")
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers or {}), error.read()
    except (urllib.error.URLError, OSError) as error:
        raise SmokeFailed(f"{url} did not answer: {error}") from None


class Api:
    def __init__(self, target: Target) -> None:
        self.base = target.base_url.rstrip("/")
        self.auth = {"authorization": f"Bearer {target.token}"}

    def call(self, method: str, path: str, doc: Any = None, expect: tuple[int, ...] = (200,)) -> Any:
        body = json.dumps(doc).encode() if doc is not None else None
        headers = {**self.auth, "content-type": "application/json", "accept": "application/json"}
        status, _, answer = _request(self.base + path, data=body, headers=headers, method=method)
        if status not in expect:
            raise SmokeFailed(f"{method} {path} answered {status}: {answer[:300].decode(errors='replace')}")
        return json.loads(answer) if answer else None


def fresh_text(kind: str, nonce: str) -> str:
    """The marker, the run and the kind, then only drawn words: no phrase repeats from one run to
    the next, so each run's posts start stories of their own (and a notification of their own)."""
    vocabulary = WORDS.split()
    return f"{MARKER} {nonce} {kind} " + " ".join(secrets.choice(vocabulary) for _ in range(16))


SMOKE_RULE = {
    "name": "Deploy smoke check",
    "order": -1000,  # before every rule, and the last one asked: no real group hears the check
    "when": {"keywords": [MARKER]},
    "notify": [GROUP],
    "stop": True,
}


def ensure_route(api: Api, target: Target) -> tuple[str, bool]:
    """The smoke group with the inbox as its member, and the rule sending the marker there;
    whether the rule is new (and so not yet in force in every process)."""
    api.call(
        "PUT",
        f"/api/groups/{GROUP}",
        {"name": "Deploy smoke check", "description": f"make smoke: its checks reach only {target.inbox}"},
        expect=(200, 201),
    )
    members = api.call("GET", f"/api/groups/{GROUP}/members")["member_list"]
    mine = next((m for m in members if m["endpoint"] == target.inbox), None)
    if mine is None:
        mine = api.call(
            "POST",
            f"/api/groups/{GROUP}/members",
            {"protocol": "email", "endpoint": target.inbox, "timezone": "UTC"},
            expect=(201,),
        )
    if mine["state"] != "confirmed":
        raise SmokeFailed(
            f"{target.inbox} has not confirmed its subscription to the smoke group: open the mail "
            "'AWS Notification - Subscription Confirmation', confirm, and run make smoke again"
        )
    rules = api.call("GET", "/api/rules")
    current = next((r for r in rules.get("rules", []) if r.get("id") == GROUP), None)
    changed = current is None or any(current.get(k) != v for k, v in SMOKE_RULE.items())
    if changed:
        api.call("PUT", f"/api/rules/{GROUP}", SMOKE_RULE, expect=(200, 201))
    return str(mine["state"]), changed


def wait_for_local_outbox_subscription(target: Target, timeout: float = 30.0) -> None:
    """The local outbox subscribes to topics made after the stack started every few seconds; a
    notification published before that would reach no local inbox."""
    import boto3

    sns = boto3.client(
        "sns",
        region_name="us-east-1",
        endpoint_url=target.moto_endpoint,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 (moto takes any; the local stack uses these)
    )
    topic = f"arn:aws:sns:us-east-1:123456789012:sharedwatch-local-group-{GROUP}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if any(s["Protocol"] == "sqs" for s in subs):
            return
        time.sleep(0.5)
    raise SmokeFailed("the local outbox did not subscribe to the smoke group's topic within 30 s")


def post_mention(target: Target, text: str, nonce: str) -> tuple[str, float]:
    from standardwebhooks.webhooks import Webhook

    now = datetime.now(UTC)
    data = {
        "id": f"smoke-{nonce}",
        "url": f"https://smoke.invalid/{nonce}",
        "text": text,
        "platform": "x",
        "author": {"handle": "sharedwatch-smoke", "name": "make smoke: a deployment check", "followers": 0},
        "published_at": now.isoformat(),
        "lang": "en",
    }
    body = json.dumps({"type": "mention.created", "timestamp": now.isoformat(), "data": data}).encode()
    msg_id = f"msg_smoke_{nonce}"
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(target.generic_secret).sign(msg_id, now, body.decode()),
    }
    started = time.monotonic()
    status, _, answer = _request(target.base_url.rstrip("/") + "/webhooks/generic", data=body, headers=headers)
    took = time.monotonic() - started
    if status != 202:
        raise SmokeFailed(f"the signed mention was refused: {status} {answer[:300].decode(errors='replace')}")
    ids = json.loads(answer)["ids"]
    if not ids:
        raise SmokeFailed(f"the signed mention was accepted but nothing was stored: {answer[:300]!r}")
    return str(ids[0]), took


def post_report(target: Target, text: str) -> tuple[str, float]:
    base = target.base_url.rstrip("/")
    started = time.monotonic()
    status, _, form = _request(base + "/report", headers={"accept": "text/html"})
    if status != 200:
        raise SmokeFailed(f"the report form answered {status}")
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.decode()))
    fields = {**hidden, "text": text, "urgency": "normal", "anonymous": "1"}
    status, _, receipt = _request(
        base + "/report",
        data=urlencode(fields).encode(),
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
    )
    took = time.monotonic() - started
    tracking = re.search(r'href="report/([a-z2-7]{16})"', receipt.decode(errors="replace"))
    if status != 201 or not tracking:
        raise SmokeFailed(f"the report form did not take the report: {status}")
    return tracking.group(1), took


def wait_until(what: str, probe: Callable[[], Any], timeout: float, explain: Callable[[], str] = str) -> Any:
    started = time.monotonic()
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() - started > timeout:
            why = explain()
            raise SmokeFailed(f"{what}: not within {timeout:.0f} s" + (f" ({why})" if why else ""))
        time.sleep(0.5)


class DeliveryLog:
    """Follows one mention's or report's notifications in the delivery log."""

    def __init__(self, api: Api, path: str) -> None:
        self.api, self.path = api, path
        self.sent: list[dict[str, Any]] = []

    def probe(self) -> dict[str, Any] | None:
        doc = self.api.call("GET", self.path, expect=(200, 404))
        self.sent = list((doc or {}).get("sent", []))
        dead = [d for d in self.sent if d["group"] == GROUP and d["status"] == "dead"]
        if dead:
            raise SmokeFailed(f"{self.path}: its notification to {GROUP} is dead in the delivery log: {dead[0]}")
        return next((d for d in self.sent if d["group"] == GROUP and d["status"] == "sent"), None)

    def explain(self) -> str:
        if not self.sent:
            return "the delivery log has nothing for it: was it routed? see the app's logs"
        return "the delivery log has " + ", ".join(f"{d['group']}: {d['status']}" for d in self.sent)


def in_outbox(target: Target, nonce: str, kind: str) -> Callable[[], dict[str, Any] | None]:
    def probe() -> dict[str, Any] | None:
        status, _, body = _request(target.outbox_url)
        if status != 200:
            raise SmokeFailed(f"the local outbox answered {status}")
        for entry in json.loads(body)["deliveries"]:
            if entry.get("group") == GROUP and f"{MARKER} {nonce} {kind}" in json.dumps(entry):
                return dict(entry)
        return None

    return probe


def ask_operator(target: Target, nonce: str, since: float, timeout: float) -> Step:
    """Nothing here can read the operator's mailbox: they say when the mail is there."""
    if not sys.stdin.isatty():
        return Step("inbox", None, f"not observed: no terminal to ask whether {target.inbox} has the mail")
    print(
        f"\nLook in {target.inbox} for two messages with '{MARKER} {nonce}' (a mention and a report; the "
        f"SNS sender is 'AWS Notifications'). Press Enter when both are there (Ctrl-C gives up).",
        flush=True,
    )
    try:
        sys.stdin.readline()
    except KeyboardInterrupt:
        return Step("inbox", None, "not confirmed by the operator")
    took = time.monotonic() - since
    note = "by the operator, with their reaction time" + (" (past the timeout)" if took > timeout else "")
    return Step("inbox (both messages, from the mention's acceptance)", took, note)


def run(target: Target, steps: list[Step], *, timeout: float, ask: bool = True, settle: float = ROUTE_SETTLES) -> None:
    """Each step appended as it is done: a failure still shows the ones before it."""
    api = Api(target)
    nonce = secrets.token_hex(4)
    started = time.monotonic()
    state, changed = ensure_route(api, target)
    if target.moto_endpoint:
        wait_for_local_outbox_subscription(target)
    if changed:  # until then a process that read the routing before could send the check to real groups
        time.sleep(max(0.0, settle - (time.monotonic() - started)))
    detail = state + (f"; the new rule given {settle:.0f} s to be in force" if changed else "")
    steps.append(Step(f"route: group {GROUP} → {target.inbox}", time.monotonic() - started, detail))

    mention_id, took = post_mention(target, fresh_text("mention", nonce), nonce)
    mention_at = time.monotonic() - took
    steps.append(Step("mention accepted through the API (202)", took, f"stored as {mention_id}"))
    report_id, took = post_report(target, fresh_text("report", nonce))
    report_at = time.monotonic() - took
    steps.append(Step("report accepted by the form (201)", took, f"tracking id {report_id}"))

    for kind, path, since in (
        ("mention", f"/api/mentions/{mention_id}", mention_at),
        ("report", f"/api/reports/{report_id}", report_at),
    ):
        log = DeliveryLog(api, path)
        sent = wait_until(f"the {kind}'s notification to {GROUP} in the delivery log", log.probe, timeout, log.explain)
        steps.append(
            Step(f"{kind} → delivery log says sent", time.monotonic() - since, f"sent_at {sent.get('sent_at')}")
        )

    if target.outbox_url:
        wait_until("the mention's notification in the local outbox", in_outbox(target, nonce, "mention"), timeout)
        steps.append(Step("mention → in the inbox (local outbox)", time.monotonic() - mention_at))
        wait_until("the report's notification in the local outbox", in_outbox(target, nonce, "report"), timeout)
        steps.append(Step("report → in the inbox (local outbox)", time.monotonic() - report_at))
    elif ask:
        steps.append(ask_operator(target, nonce, mention_at, timeout))
    else:
        steps.append(Step("inbox", None, "not observed (--no-inbox)"))


# -- where the stage is ---------------------------------------------------------------------------


def local_target(state: Path) -> Target:
    path = state / "credentials.json"
    try:
        creds = json.loads(path.read_text())
        base = creds["base_url"]
    except (OSError, ValueError, KeyError):
        raise SmokeFailed(f"no running local stack ({path} is missing): start it with `make run`") from None
    return Target(
        stage="local",
        base_url=base,
        token=creds["admin_token"],
        generic_secret=creds["sources"]["generic"],
        inbox=LOCAL_MEMBER,
        outbox_url=f"{base}/local/outbox",
        moto_endpoint=creds["moto_endpoint"],
    )


def deployed_target(stage: str, *, base_url: str, token: str, inbox: str) -> Target:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    if not inbox:
        raise SmokeFailed("name the inbox that should hear the check: INBOX=you@example.com (make smoke)")
    notes = []
    prefix = f"/sharedwatch/{stage}/"
    ssm = boto3.client("ssm")
    try:
        if not base_url:
            outputs = boto3.client("cloudformation").describe_stacks(StackName=f"sharedwatch-{stage}")["Stacks"][0]
            base_url = next(o["OutputValue"] for o in outputs.get("Outputs", []) if o["OutputKey"] == "EndpointURL")
        secret_doc = ssm.get_parameter(Name=f"{prefix}sources/generic", WithDecryption=True)["Parameter"]["Value"]
        if not token:
            token = ssm.get_parameter(Name=f"{prefix}admin_token", WithDecryption=True)["Parameter"]["Value"]
            notes.append("used the break-glass admin_token parameter (audited): pass --token or SHAREDWATCH_TOKEN")
    except (ClientError, BotoCoreError, StopIteration) as exc:
        raise SmokeFailed(
            f"stage {stage!r} could not be read where your AWS credentials point ({exc}); "
            "`make deploy` it and put its parameters first (README: Deploying to AWS)"
        ) from None
    secret = secret_doc.split()[0]  # whitespace separates secrets valid at once (a rotation)
    return Target(stage=stage, base_url=base_url, token=token, generic_secret=secret, inbox=inbox, notes=notes)


def render(target: Target, steps: list[Step], failure: str = "") -> str:
    lines = [f"sharedwatch smoke: stage {target.stage} at {target.base_url}"]
    for step in steps:
        took = f"{step.seconds:7.2f} s" if step.seconds is not None else "      - "
        lines.append(f"  {took}  {step.name}" + (f"  ({step.detail})" if step.detail else ""))
    lines += [f"  note: {n}" for n in target.notes]
    lines.append(f"FAILED: {failure}" if failure else "PASSED")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.smoke", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"))
    parser.add_argument("--base-url", default="", help="the API's URL (default: the stack's EndpointURL output)")
    parser.add_argument("--inbox", default=os.environ.get("INBOX", ""), help="the email address that should hear it")
    parser.add_argument("--token", default=os.environ.get("SHAREDWATCH_TOKEN", ""), help="an admin's API token")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds each step may take")
    parser.add_argument("--no-inbox", action="store_true", help="do not wait to be told the mail arrived")
    parser.add_argument(
        "--route-settle",
        type=float,
        default=ROUTE_SETTLES,
        help="seconds a new smoke rule is given before the check (the app's config cache; 0 if it reads fresh)",
    )
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".local", help="the local stack's (--stage local)")
    args = parser.parse_args(argv)
    steps: list[Step] = []
    target = Target(stage=args.stage, base_url=args.base_url, token="", generic_secret="", inbox=args.inbox)
    try:
        if args.stage == "local":
            target = local_target(args.state_dir)
            target.base_url = args.base_url or target.base_url
        else:
            target = deployed_target(args.stage, base_url=args.base_url, token=args.token, inbox=args.inbox)
        run(target, steps, timeout=args.timeout, ask=not args.no_inbox, settle=args.route_settle)
    except SmokeFailed as exc:
        print(render(target, steps, str(exc)))
        return 1
    print(render(target, steps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
