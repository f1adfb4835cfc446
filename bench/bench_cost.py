"""`make cost`: what a day of mentions costs on AWS, counted request by request on the local stack
and priced from infra/prices.json.

At each scale (10,000 and 1,000,000 mentions a day, at the airline set's hour-of-day rate), the
minutes of the day spread evenly that hold SAMPLE mentions are replayed: consecutive airline
tweets (their real mix of complaints, praise, copies and stories) as a listening tool pushes
them, each minute's in signed requests of up to 500, to the local stack as `make run` starts it,
with the rules of `bench/cost.py` (about 5% of mentions reach a group with people on it). The
router catches up after each minute, as it would a minute apart on AWS, so each stream
invocation carries what one minute brought. moto writes what AWS would bill for each request it
answers (infra/local/ledger.py); the sample is scaled linearly to the day.

The same replay runs again in-process (bench/cost_handlers.py) to time each handler (Lambda's
duration), to count their log bytes and metrics, Comprehend (on, as on AWS) and storage, and to
run the schedule's handlers, whose cost is a day's whatever the volume.

- cost_per_million_mentions_usd (at 1M a day) and cost_per_million_mentions_10k_usd (at 10k a
  day: the schedule's fixed cost weighs there): every request priced, SMS and storage apart.
  Baseline: taking the mentions in and storing them alone (API Gateway, the API function, the
  mention items' write units), same prices.

bench/results.json keeps every input (the inputs key); docs/cost.md's table is written from it."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3

from bench import airline, cost
from bench.bench_airline_ingest import _post
from bench.cost import (
    API_METRICS_PER_METHOD,
    COST_RULES,
    DAYS_A_MONTH,
    DEFAULT_GROUP,
    EMAIL_SUBSCRIBERS,
    FULL_CORE_MB,
    MEMORY_MB,
    PLATFORM_LOG_BYTES,
    SCALES,
    SMS_SUBSCRIBERS,
    Plan,
    Tally,
    billed_ms,
    gb_seconds,
    group_of,
    hour_shares,
    load_prices,
    per_million,
    plan,
    priced,
    read_ledger,
    sms_parts,
    tally,
)
from bench.harness import ROOT, SHORT, Figure
from infra.local.launcher import launch

OBSERVER = "cost-observer"  # the access key of this benchmark's own requests: not counted
PATIENCE = 300.0  # seconds to wait for the router to catch up with a minute's mentions
GOAL = 2.0  # dollars a million mentions, 5% notified by email, SMS apart
DOCS = ROOT / "docs" / "cost.md"
BEGIN, END = "<!-- make cost: begin -->", "<!-- make cost: end -->"
PARAMETER_REFRESHES = 24 * 12  # a day of powertools' five-minute parameter cache
# The digests look every quarter of an hour for the zones where it is 08:00 (each recipient's).
# Each schedule expression the app uses -> its runs a day (a new schedule must say its own here).
RUNS_A_DAY = {
    "rate(1 minute)": 1440.0,
    "cron(0/15 * * * ? *)": 96.0,
    "cron(0 9 * * ? *)": 1.0,  # the policy reminders
    "cron(0 8 1 * ? *)": 12 / 365,  # the monthly team notes
}


def _sample(size: int) -> list[dict[str, Any]]:
    """`size` consecutive airline tweets from the middle of the set, in the order they were made."""
    rows = sorted(airline.rows(), key=lambda r: r["tweet_created"])
    start = max(0, (len(rows) - size) // 2)
    out = []
    for row in rows[start : start + size]:
        item = airline.as_mention(row)
        item.pop("published_at")  # stamped when sent: the mentions are live
        out.append(item)
    return out


def _batches(p: Plan, mentions: list[dict[str, Any]]) -> list[list[list[dict[str, Any]]]]:
    out, at = [], 0
    for sizes in p.requests:
        minute = []
        for size in sizes:
            minute.append(mentions[at : at + size])
            at += size
        out.append(minute)
    return out


class Follower:
    """Reads the ledger as moto writes it: the router has caught up once the mentions stream's
    records were all read and the pump polled again (it polls after the handler returns)."""

    def __init__(self, path: Path, table: str) -> None:
        self.path, self.table = path, table
        self.offset = 0
        self.inserts = 0

    def wait(self, stored: int, *, patience: float = PATIENCE) -> None:
        deadline = time.monotonic() + patience
        reached = False
        while time.monotonic() < deadline:
            with self.path.open(encoding="utf-8") as f:
                f.seek(self.offset)
                chunk = f.read()
            complete = chunk[: chunk.rfind("\n") + 1]
            self.offset += len(complete.encode())
            for line in complete.splitlines():
                entry = json.loads(line)
                if entry.get("action") != "GetRecords":
                    continue
                if reached:
                    return
                if entry.get("table") == self.table:
                    self.inserts += int(entry.get("inserts", 0))
                reached = self.inserts >= stored
            time.sleep(0.05)
        raise TimeoutError(f"the router did not catch up with {stored} mentions in {patience:.0f} s")


def _api(base: str, token: str, method: str, path: str, doc: Any = None) -> Any:
    body = json.dumps(doc).encode() if doc is not None else None
    request = urllib.request.Request(
        base + path,
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def _use_cost_rules(base: str, token: str) -> None:
    for rule in _api(base, token, "GET", "/api/rules")["rules"]:
        _api(base, token, "DELETE", f"/api/rules/{rule['id']}")
    for rule in COST_RULES:
        _api(base, token, "PUT", f"/api/rules/{rule['id']}", rule)


def _told(client: Any, prefix: str, ids: list[str]) -> dict[str, set[str]]:
    """Mention id -> the groups its story was told to."""
    from chalicelib.policy.stories import alias_key, aliased_story

    # A mention's alias, marked once it joined a story; a post that started its story has none
    # (the story's id is derived from its alias).
    clusters = {m: aliased_story(alias_key(m)) for m in ids}
    for i in range(0, len(ids), 100):
        keys = [{"key": {"S": alias_key(m)}} for m in ids[i : i + 100]]
        answer = client.batch_get_item(RequestItems={f"{prefix}cluster-index": {"Keys": keys}})
        for it in answer["Responses"][f"{prefix}cluster-index"]:
            if it.get("member", {}).get("BOOL"):
                clusters[it["key"]["S"].removeprefix("p:")] = it["cluster_id"]["S"]
    told: dict[str, set[str]] = {}
    unique = sorted(set(clusters.values()))
    for i in range(0, len(unique), 100):
        keys = [{"cluster_id": {"S": c}} for c in unique[i : i + 100]]
        answer = client.batch_get_item(RequestItems={f"{prefix}notices": {"Keys": keys}})
        for it in answer["Responses"][f"{prefix}notices"]:
            told[it["cluster_id"]["S"]] = {t.split("|", 1)[0] for t in it.get("told", {}).get("SS", [])}
        # A story its batch started holds what it was told in its own row (flows/router.put_started).
        spec = {"Keys": keys, "ProjectionExpression": "cluster_id, told"}
        answer = client.batch_get_item(RequestItems={f"{prefix}clusters": spec})
        for it in answer["Responses"][f"{prefix}clusters"]:
            told.setdefault(it["cluster_id"]["S"], set()).update(
                t.split("|", 1)[0] for t in it.get("told", {}).get("SS", [])
            )
    return {m: told.get(c, set()) for m, c in clusters.items()}


def _plan_mails(client: Any, prefix: str) -> int:
    """The mails the crisis plans sent (their roles' briefs, the holding statements' approvers),
    from the delivery log: each plan's mail is sent once, when its crisis starts."""
    found, start = 0, None
    while True:
        page = client.scan(
            TableName=f"{prefix}deliveries",
            FilterExpression="item_kind = :plan AND topic_arn = :ses",
            ExpressionAttributeValues={":plan": {"S": "plan"}, ":ses": {"S": "ses"}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        found += int(page.get("Count", 0))
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def _outbox(path: Path, expected: int, patience: float = 30.0) -> list[dict[str, Any]]:
    """The messages to notified groups in the outbox, once all `expected` of them are there."""
    deadline = time.monotonic() + patience
    while True:
        entries = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        people = [e for e in entries if group_of(str(e.get("topic_arn", ""))) not in ("", DEFAULT_GROUP)]
        if len(people) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if len(people) != expected:
        raise RuntimeError(f"the outbox holds {len(people)} messages to notified groups; {expected} were published")
    return people


def replay_local(minutes: list[list[list[dict[str, Any]]]], workdir: Path) -> dict[str, Any]:
    """The replay on the local stack; the ledger's tally of it and what it told whom."""
    ledger_path = workdir / "ledger.jsonl"
    ledger_path.touch()
    state = workdir / "state"
    running = launch(
        state,
        extra_args=(
            "--ledger",
            str(ledger_path),
            "--schedule-every",
            "1000000",  # the schedule is measured in-process, as a day's whatever the volume
            "--config-cache-seconds",
            "0",  # each invocation reads the rules: on AWS they are a minute apart (cache: 30 s)
        ),
    )
    try:
        creds = running.credentials
        base, token, secret = creds["base_url"], creds["admin_token"], creds["sources"]["generic"]
        _use_cost_rules(base, token)
        prefix = "sharedwatch-local-"
        follower = Follower(ledger_path, f"{prefix}mentions")
        follower.wait(0, patience=30)  # the pump polls: the ledger is being written
        since = time.time()
        stored = requests = 0
        ids: list[str] = []
        for minute in minutes:
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            for batch in minute:
                answer = _post(base, secret, [{**m, "published_at": now} for m in batch])
                requests += 1
                stored += answer["stored"]
                ids.extend(answer.get("ids", []))
            follower.wait(stored)
        until = time.time()
        observer = boto3.client(
            "dynamodb",
            endpoint_url=creds["moto_endpoint"],
            region_name="us-east-1",
            aws_access_key_id=OBSERVER,
            aws_secret_access_key=OBSERVER,
        )
        told = _told(observer, prefix, sorted(set(ids)))
        plan_mails = _plan_mails(observer, prefix)
        t = tally(read_ledger(ledger_path), since=since, until=until, skip_key=OBSERVER)
        # What SMS subscribers would get: each publish's SMS text, from the queue subscribed to
        # the group topics (the outbox drains it every 0.1 s).
        sent = sum(n for topic, n in t.published.items() if group_of(topic) not in ("", DEFAULT_GROUP))
        people = _outbox(state / "outbox.jsonl", sent)
    finally:
        running.stop()
    notified = sum(1 for groups in told.values() if groups - {DEFAULT_GROUP})
    sms = sum(sms_parts(str(e.get("sms", ""))) for e in people)
    return {
        "tally": t,
        "requests": requests,
        "stored": stored,
        "mentions": sum(len(b) for m in minutes for b in m),
        "notified": notified,
        "plan_mails": plan_mails,
        "sms_parts": sms,
        "seconds": round(until - since, 1),
    }


def time_handlers(minutes: list[list[list[dict[str, Any]]]], workdir: Path) -> dict[str, Any]:
    plan_path, out_path = workdir / "plan.json", workdir / "handlers.json"
    plan_path.write_text(json.dumps({"minutes": minutes, "state": str(workdir)}))
    done = subprocess.run(
        [sys.executable, "-m", "bench.cost_handlers", str(plan_path), str(out_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError("the in-process replay failed:\n" + done.stderr[-4000:])
    result: dict[str, Any] = json.loads(out_path.read_text())
    return result


def _per_invocation(kind: dict[str, Any]) -> tuple[float, float]:
    """(billed ms, log bytes) of one invocation of a kind."""
    n = max(1, int(kind["invocations"]))
    return billed_ms(kind["cpu_ms"], kind["calls"]) / n, kind["log_bytes"] / n + PLATFORM_LOG_BYTES


def price_day(p: Plan, local: dict[str, Any], handlers: dict[str, Any], prices: dict[str, Any]) -> dict[str, Any]:
    """A day at p.volume: every request kind, a day's quantity and price."""
    t: Tally = local["tally"]
    f = p.volume / local["mentions"]
    kinds = handlers["kinds"]
    api_ms, api_log = _per_invocation(kinds["api"])
    stream_ms, stream_log = _per_invocation(kinds["stream"])
    api_runs, stream_runs = local["requests"] * f, t.stream_reads * f
    schedule = {k.removeprefix("schedule:"): v for k, v in kinds.items() if k.startswith("schedule:")}
    runs = {name: RUNS_A_DAY[handlers["expressions"][name]] for name in schedule}
    every = {
        name: {k: v / max(1, kind["invocations"]) for k, v in kind.items() if isinstance(v, int | float)}
        for name, kind in schedule.items()
    }

    def scheduled(field: str) -> float:
        return float(sum(every[name][field] * runs[name] for name in schedule))

    schedule_gbs = sum(gb_seconds(_per_invocation(schedule[n])[0]) * runs[n] for n in schedule)
    schedule_logs = sum(_per_invocation(schedule[n])[1] * runs[n] for n in schedule)
    schedule_emails = sum(
        n * EMAIL_SUBSCRIBERS * runs[name] / max(1, schedule[name]["invocations"])
        for name in schedule
        for topic, n in schedule[name]["published"].items()
        if group_of(topic) not in ("", DEFAULT_GROUP)
    )
    emails = sum(n for topic, n in t.published.items() if group_of(topic) not in ("", DEFAULT_GROUP))
    log_bytes = api_runs * api_log + stream_runs * stream_log + schedule_logs
    metrics = handlers["metric_series"] + API_METRICS_PER_METHOD  # one method takes the mentions
    usage = [
        ("api_gateway_rest_request", "API Gateway requests (deliveries)", api_runs),
        ("lambda_request", "Lambda invocations (API, stream, schedule)", api_runs + stream_runs + sum(runs.values())),
        (
            "lambda_gb_second_x86_64",
            f"Lambda GB-seconds at {MEMORY_MB} MB",
            api_runs * gb_seconds(api_ms) + stream_runs * gb_seconds(stream_ms) + schedule_gbs,
        ),
        (
            "dynamodb_write_request_unit",
            "DynamoDB write units (tables and indexes)",
            (t.write_units + t.index_write_units) * f + scheduled("write_units"),
        ),
        ("dynamodb_read_request_unit", "DynamoDB read units", t.read_units * f + scheduled("read_units")),
        ("dynamodb_streams_read_request_unit", "DynamoDB Streams reads (by Lambda: free)", stream_runs),
        (
            "sns_publish_request",
            "SNS publish requests (64 KB chunks)",
            t.publish_requests * f + scheduled("publish_requests"),
        ),
        (
            "sns_email_delivery",
            f"SNS email deliveries ({EMAIL_SUBSCRIBERS} a notified group)",
            emails * EMAIL_SUBSCRIBERS * f + schedule_emails,
        ),
        (
            "ses_message",
            "SES messages (crisis plans' mail: once a crisis)",
            # A crisis plan mails its roles and approvers once, when it starts; every incident of
            # its scenario while it runs joins it (flows/plans.take_hold) and mails nobody. So its
            # mail comes with crises, not mentions: the sample's plans are priced as a day's
            # (each scenario started once a day), and only other mail (none in a mentions-only
            # replay: receipts go to reporters) is scaled with the volume.
            max(0, t.ses_messages - local["plan_mails"]) * f + local["plan_mails"] + scheduled("ses_messages"),
        ),
        ("comprehend_unit", "Comprehend units (posts in its languages)", kinds["api"]["comprehend_units"] * f),
        ("cloudwatch_logs_ingested_gb", "CloudWatch Logs GB (log lines, EMF)", log_bytes / 1024**3),
        ("cloudwatch_metric_month", "CloudWatch metrics (EMF, API Gateway's), metric-months", metrics / DAYS_A_MONTH),
        (
            "kms_request",
            "KMS decrypts (SecureString parameters)",
            (t.parameter_reads + scheduled("parameter_reads")) * PARAMETER_REFRESHES,
        ),
    ]
    lines = priced(usage, prices)
    total = sum(line.usd for line in lines)
    floor = priced(
        [
            ("api_gateway_rest_request", "", api_runs),
            ("lambda_request", "", api_runs),
            ("lambda_gb_second_x86_64", "", api_runs * gb_seconds(api_ms)),
            ("dynamodb_write_request_unit", "", sum(t.by_table.get("sharedwatch-local-mentions", [0, 0, 0])[1:]) * f),
        ],
        prices,
    )
    sms = priced([("sms_us_message", "SMS parts", local["sms_parts"] * f * SMS_SUBSCRIBERS)], prices)[0]
    stored = sum(handlers["stored_bytes"].values()) / local["mentions"] * 1_000_000 / 1024**3
    storage_price = float(prices["prices"]["dynamodb_storage_gb_month"]["usd"]) + float(
        prices["prices"]["dynamodb_pitr_gb_month"]["usd"]
    )
    fixed = sum(line.usd for line in priced([(k, w, q) for k, w, q in usage if k == "cloudwatch_metric_month"], prices))
    return {
        "volume": p.volume,
        "usd_a_day": round(total, 4),
        "usd_per_million": round(per_million(total, p.volume), 4),
        "floor_per_million": round(per_million(sum(x.usd for x in floor), p.volume), 4),
        "lines": {line.key: line.as_json() for line in lines},
        "sms_usd_per_million_per_recipient": round(per_million(sms.usd, p.volume), 4),
        "storage_gb_per_million": round(stored, 3),
        "storage_usd_a_month_per_million_kept": round(stored * storage_price, 4),
        "fixed_usd_a_day": round(
            sum(
                line.usd
                for line in priced(
                    [
                        ("lambda_request", "", sum(runs.values())),
                        ("lambda_gb_second_x86_64", "", schedule_gbs),
                        ("dynamodb_write_request_unit", "", scheduled("write_units")),
                        ("dynamodb_read_request_unit", "", scheduled("read_units")),
                        ("cloudwatch_logs_ingested_gb", "", schedule_logs / 1024**3),
                    ],
                    prices,
                )
            )
            + fixed,
            4,
        ),
        "inputs": {
            "sample_mentions": local["mentions"],
            "stored": local["stored"],
            "scale_to_day": round(f, 3),
            "minutes_replayed": len(p.minutes),
            "requests_sample": local["requests"],
            "requests_day_planned": p.day_requests,
            "stream_invocations_sample": t.stream_reads,
            "records_per_stream_invocation": round(t.stream_records / max(1, t.stream_reads), 1),
            "notified_share": round(local["notified"] / max(1, local["stored"]), 4),
            "publishes_sample": sum(t.published.values()),
            "plan_mails_sample": local["plan_mails"],
            "sms_parts_sample": local["sms_parts"],
            "dynamodb_requests_sample": t.dynamodb_requests(),
            "dynamodb_units_by_table_sample": {
                k.removeprefix("sharedwatch-local-"): [round(x, 1) for x in v] for k, v in sorted(t.by_table.items())
            },
            "calls_sample": dict(sorted(t.calls.items())),
            "api_billed_ms": round(api_ms, 1),
            "api_cpu_ms": round(kinds["api"]["cpu_ms"] / max(1, kinds["api"]["invocations"]), 2),
            "stream_billed_ms": round(stream_ms, 1),
            "stream_cpu_ms": round(kinds["stream"]["cpu_ms"] / max(1, kinds["stream"]["invocations"]), 2),
            "schedule_runs_a_day": round(sum(runs.values()), 1),
            "schedule_billed_ms": {n: round(_per_invocation(schedule[n])[0], 1) for n in sorted(schedule)},
            "metric_series": handlers["metric_series"],
            "local_seconds": local["seconds"],
        },
    }


def render(results: Mapping[int, Mapping[str, Any]], region: str, day: str) -> str:
    """docs/cost.md's generated part: the day priced line by line at each scale, and where the
    DynamoDB units went."""
    volumes = sorted(results)
    r = {v: results[v] for v in volumes}

    def row(label: str, cell: Callable[[Mapping[str, Any]], str]) -> str:
        return f"| {label} | " + " | ".join(cell(r[v]) for v in volumes) + " |"

    rows = ["| a day | " + " | ".join(f"{v:,} mentions" for v in volumes) + " |", "|---|" + "---:|" * len(volumes)]
    biggest = r[volumes[-1]]["lines"]
    for key in sorted(biggest, key=lambda k: (-biggest[k]["usd"], k)):  # what costs most first

        def priced_line(x: Mapping[str, Any], k: str = key) -> str:
            return f"{x['lines'][k]['quantity']:,.1f} → ${x['lines'][k]['usd']:.4f}"

        rows.append(row(biggest[key]["what"], priced_line))
    rows += [
        row("**total a day**", lambda x: f"**${x['usd_a_day']:.4f}**"),
        row("**a million mentions**", lambda x: f"**${x['usd_per_million']:.3f}**"),
        row(
            "of which fixed, whatever the volume (the schedule, metrics), a day",
            lambda x: f"${x['fixed_usd_a_day']:.4f}",
        ),
        row("taking in and storing alone, a million", lambda x: f"${x['floor_per_million']:.3f}"),
        row(
            "SMS, a million, for each phone a notified group has",
            lambda x: f"${x['sms_usd_per_million_per_recipient']:.2f}",
        ),
        row(
            "storage a month, each million kept",
            lambda x: f"{x['storage_gb_per_million']:.2f} GB → ${x['storage_usd_a_month_per_million_kept']:.3f}",
        ),
    ]
    tables = sorted({t for v in volumes for t in r[v]["inputs"]["dynamodb_units_by_table_sample"]})
    units = ["| DynamoDB units a mention: read / write / index write | " + " | ".join(f"{v:,}" for v in volumes) + " |"]
    units.append("|---|" + "---:|" * len(volumes))
    for table in tables:

        def cell(x: Mapping[str, Any], t: str = table) -> str:
            read, write, index = x["inputs"]["dynamodb_units_by_table_sample"].get(t, [0, 0, 0])
            n = x["inputs"]["sample_mentions"]
            return f"{read / n:.2f} / {write / n:.2f} / {index / n:.2f}"

        units.append(row(table, cell))
    facts = [
        f"Measured {day} by `make cost`, priced with infra/prices.json ({region}). Replayed:",
        "",
        *(
            f"- {v:,} a day: {x['inputs']['sample_mentions']:,} mentions in {x['inputs']['requests_sample']} requests "
            f"over {x['inputs']['minutes_replayed']} minutes of the day, ×{x['inputs']['scale_to_day']:,} to the day; "
            f"{x['inputs']['records_per_stream_invocation']} records a stream invocation; "
            f"{x['inputs']['notified_share']:.1%} notified; billed an invocation: "
            f"API {x['inputs']['api_billed_ms']} ms, stream {x['inputs']['stream_billed_ms']} ms."
            for v, x in r.items()
        ),
    ]
    return "\n".join([BEGIN, "", *rows, "", *units, "", *facts, "", END])


def write_docs(results: Mapping[int, Mapping[str, Any]], region: str) -> None:
    head, _, rest = DOCS.read_text().partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOCS.write_text(head + render(results, region, time.strftime("%Y-%m-%d", time.gmtime())) + tail)


def run() -> list[Figure]:
    if not airline.available():
        return []
    prices = load_prices()
    shares = hour_shares(r["tweet_created"] for r in airline.rows())
    results: dict[int, dict[str, Any]] = {}
    for volume in SCALES:
        p = plan(volume, shares, cost.SAMPLE)
        minutes = _batches(p, _sample(p.mentions))
        with tempfile.TemporaryDirectory() as tmp:
            local = replay_local(minutes, Path(tmp))
            handlers = time_handlers(minutes, Path(tmp))
        results[volume] = price_day(p, local, handlers, prices)
    if not SHORT:  # a smoke run's figures are not the docs' figures
        write_docs(results, prices["region"])
    big, small = results[max(SCALES)], results[min(SCALES)]
    inputs = {
        "prices": str(Path("infra/prices.json")),
        "rules": list(COST_RULES),
        "email_subscribers_a_group": EMAIL_SUBSCRIBERS,
        "lambda_memory_mb": MEMORY_MB,
        "cpu_scale": round(FULL_CORE_MB / MEMORY_MB, 3),
        "scales": {str(v): r for v, r in results.items()},
    }
    return [
        Figure(
            "cost_per_million_mentions_usd",
            big["usd_per_million"],
            "usd",
            big["floor_per_million"],
            round(big["usd_per_million"] / big["floor_per_million"], 3),
            f"value <= {GOAL:g}",
            f"at {max(SCALES):,} mentions a day, {big['inputs']['notified_share']:.1%} notified by email "
            f"({EMAIL_SUBSCRIBERS} people a group); SMS apart: ${big['sms_usd_per_million_per_recipient']:.2f} a "
            f"million each recipient; storage apart: {big['storage_gb_per_million']:.2f} GB a million, "
            f"${big['storage_usd_a_month_per_million_kept']:.2f} a month kept; baseline: taking in and storing alone",
            inputs=inputs,
        ),
        Figure(
            "cost_per_million_mentions_10k_usd",
            small["usd_per_million"],
            "usd",
            small["floor_per_million"],
            round(small["usd_per_million"] / small["floor_per_million"], 3),
            f"value <= {GOAL:g}",
            f"at {min(SCALES):,} mentions a day (${small['usd_a_day']:.3f} a day, of which fixed whatever the "
            f"volume: ${small['fixed_usd_a_day']:.3f}); inputs under cost_per_million_mentions_usd",
        ),
    ]
