"""What `make cost` works out from what it measured (pure; `bench/bench_cost.py` measures): the
day's deliveries at the airline set's rate, the requests in a ledger by kind, the Lambda time
of each invocation, and the price of a day of it all (`infra/prices.json`).

Sizes live in module constants so a short run can scale them (`bench/harness.py`'s `--short`)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.harness import ROOT, scaled

PRICES = ROOT / "infra" / "prices.json"

SCALES = (10_000, 1_000_000)  # mentions a day
SAMPLE = scaled(2_000, 100)  # mentions replayed at each scale, at the real mix; the day is scaled from it
DELIVERY_CAP = 500  # the most the generic source takes in one request (sources/generic.py)
# A listening tool pushes what it found each minute: at 10k a day that is a handful of
# mentions a request, at 1M a day about 700 (two requests).
MINUTES = 24 * 60

# The rules `make cost` runs with, in place of the demo's: about 5% of the airline mentions
# reach a group with people on it; everything else takes the default route to the social team,
# who read the inbox and the wall (its topic has no email subscribers).
COST_RULES: tuple[dict[str, Any], ...] = (
    {
        "id": "negative-baggage",
        "name": "Clearly negative posts about baggage reach customer care",
        "order": 10,
        "when": {"department": ["baggage"], "sentiment_at_most": -0.3},
        "notify": ["customer-care"],
    },
    {
        "id": "critical-to-crisis",
        "name": "Critical mentions reach the crisis team and on call",
        "order": 20,
        "when": {"kind": "mention", "severity_at_least": "critical"},
        "notify": ["crisis-team", "on-call"],
    },
)
DEFAULT_GROUP = "social-team"
EMAIL_SUBSCRIBERS = 5  # people subscribed by email to each group a notification reaches
SMS_SUBSCRIBERS = 1  # priced apart: SMS per recipient, as if each notified group had one phone

# Lambda, as infra/cdk/stack.py configures it; a function gets CPU in proportion to its memory,
# one full vCPU at 1,769 MB, so CPU time measured on a full core here takes 1769/512 as long.
MEMORY_MB = 512
FULL_CORE_MB = 1769
# What each AWS call waits for on the network inside the region (the duration Lambda bills
# beyond CPU). Assumed, not measured here: typical in-region round trips.
AWS_CALL_MS = {"dynamodb": 6.0, "sns": 20.0, "ses": 40.0, "ssm": 15.0, "comprehend": 60.0, "s3": 20.0}
PLATFORM_LOG_BYTES = 270  # Lambda's START, END and REPORT lines for each invocation
API_METRICS_PER_METHOD = 7  # API Gateway's detailed metrics (MetricsEnabled in infra/cdk/stack.py)
DAYS_A_MONTH = 365 / 12

# Local machinery the ledger records that is no request of the app on AWS: the stream pump's
# shard bookkeeping (Lambda's event source mapping does it, free), the outbox's queue.
PLUMBING = frozenset(
    {
        "dynamodb.DescribeTable",
        "dynamodbstreams.DescribeStream",
        "dynamodbstreams.GetShardIterator",
        "sns.ListTopics",
        "sns.Subscribe",
    }
)


# -- the day's deliveries ---------------------------------------------------------------------


def hour_shares(created: Iterable[str]) -> list[float]:
    """Each hour of the day's share of the mentions, by the hour the posts were made (their own
    time zone: the airline set's is US Pacific)."""
    hours = Counter(datetime.strptime(c, "%Y-%m-%d %H:%M:%S %z").hour for c in created)
    total = sum(hours.values())
    return [hours.get(h, 0) / total for h in range(24)]


def minute_counts(volume: int, shares: Sequence[float]) -> list[int]:
    """Mentions arriving in each minute of a day of `volume`, at the hours' shares (rounded so
    that they add up to `volume`)."""
    counts, cumulative, placed = [], 0.0, 0
    for minute in range(MINUTES):
        cumulative += volume * shares[minute // 60] / 60
        now = round(cumulative)
        counts.append(now - placed)
        placed = now
    return counts


def requests_for(count: int, cap: int = DELIVERY_CAP) -> list[int]:
    """A minute's mentions as the requests that carry them."""
    return [min(cap, count - start) for start in range(0, count, cap)]


@dataclass(frozen=True)
class Plan:
    volume: int
    minutes: tuple[int, ...]  # the minutes of the day replayed, evenly spread
    requests: tuple[tuple[int, ...], ...]  # per replayed minute, the size of each request
    day_requests: int  # requests in the whole day

    @property
    def mentions(self) -> int:
        return sum(sum(r) for r in self.requests)

    @property
    def scale(self) -> float:
        """Sample to day, linearly in mentions."""
        return self.volume / self.mentions


def plan(volume: int, shares: Sequence[float], sample: int = SAMPLE) -> Plan:
    """Evenly spread minutes of the day, as many as hold `sample` mentions."""
    counts = minute_counts(volume, shares)
    chosen: list[int] = []
    for spread in range(1, MINUTES + 1):
        chosen = sorted({int((i + 0.5) * MINUTES / spread) for i in range(spread)})
        if sum(counts[m] for m in chosen) >= sample:
            break
    kept = [m for m in chosen if counts[m]]
    return Plan(
        volume,
        tuple(kept),
        tuple(tuple(requests_for(counts[m])) for m in kept),
        sum(len(requests_for(c)) for c in counts),
    )


# -- the ledger -------------------------------------------------------------------------------


@dataclass
class Tally:
    """The requests in a ledger, by what AWS bills for them."""

    calls: Counter[str] = field(default_factory=Counter)  # "service.Action" -> requests
    read_units: float = 0.0
    write_units: float = 0.0  # tables'
    index_write_units: float = 0.0  # global secondary indexes'
    by_table: dict[str, list[float]] = field(default_factory=dict)  # table -> [read, write, index write]
    stream_reads: int = 0  # GetRecords that brought records: one invocation each
    stream_records: int = 0
    stream_inserts: dict[str, int] = field(default_factory=dict)
    publish_requests: int = 0  # SNS, in 64 KB chunks
    published: Counter[str] = field(default_factory=Counter)  # topic -> messages
    ses_messages: int = 0
    parameter_reads: int = 0
    comprehend_units: int = 0

    def add(self, entry: Mapping[str, Any]) -> None:
        kind = f"{entry.get('service', '')}.{entry.get('action', '')}"
        if kind in PLUMBING or entry.get("service") == "sqs":
            return
        if kind == "dynamodbstreams.GetRecords":
            if entry.get("records"):
                self.stream_reads += 1
                self.stream_records += int(entry["records"])
                table = str(entry.get("table", ""))
                self.stream_inserts[table] = self.stream_inserts.get(table, 0) + int(entry.get("inserts", 0))
            return
        self.calls[kind] += 1
        for table, (read, write, index) in (entry.get("units") or {}).items() if kind.startswith("dynamodb.") else ():
            self.read_units += read
            self.write_units += write
            self.index_write_units += index
            row = self.by_table.setdefault(table, [0.0, 0.0, 0.0])
            row[0], row[1], row[2] = row[0] + read, row[1] + write, row[2] + index
        if kind in ("sns.Publish", "sns.PublishBatch"):
            self.publish_requests += int(entry.get("chunks", 1))
            self.published[str(entry.get("topic", ""))] += int(entry.get("messages", 1))
        elif entry.get("service") == "ses":
            self.ses_messages += int(entry.get("messages", 0))
        elif kind in ("ssm.GetParameter", "ssm.GetParameters", "ssm.GetParametersByPath"):
            self.parameter_reads += int(entry.get("names", 1))
        elif kind == "comprehend.DetectSentiment":
            self.comprehend_units += int(entry.get("units", 0))

    def dynamodb_requests(self) -> int:
        return sum(n for k, n in self.calls.items() if k.startswith("dynamodb."))


def tally(
    entries: Iterable[Mapping[str, Any]], *, since: float = 0.0, until: float = math.inf, skip_key: str = ""
) -> Tally:
    out = Tally()
    for e in entries:
        if since <= float(e.get("t", since)) <= until and not (skip_key and e.get("key") == skip_key):
            out.add(e)
    return out


def read_ledger(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def group_of(topic: str) -> str:
    """The group a stakeholder topic belongs to (`<prefix>group-<slug>`), or ""."""
    found = re.search(r"group-([a-z0-9-]+)$", topic)
    return found.group(1) if found else ""


# -- SMS parts --------------------------------------------------------------------------------

_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def sms_parts(text: str) -> int:
    """Message parts a carrier bills: 160 GSM-7 characters in one, else 153 each; 70 UCS-2 in
    one, else 67 each (an emoji or a curly quote makes the whole message UCS-2)."""
    if all(c in _GSM for c in text):
        return 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


# -- Lambda -----------------------------------------------------------------------------------


def billed_ms(cpu_ms: float, calls: Mapping[str, int]) -> float:
    """An invocation's duration on AWS: its CPU time at the memory's share of a core, and the
    network wait of each AWS call it made."""
    return cpu_ms * FULL_CORE_MB / MEMORY_MB + sum(AWS_CALL_MS.get(s, 10.0) * n for s, n in calls.items())


def gb_seconds(ms: float) -> float:
    return math.ceil(ms) / 1000 * MEMORY_MB / 1024


# -- prices -----------------------------------------------------------------------------------


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


@dataclass(frozen=True)
class Line:
    key: str  # a price in infra/prices.json
    what: str
    quantity: float  # a day
    usd: float  # a day

    def as_json(self) -> dict[str, Any]:
        return {"what": self.what, "quantity": round(self.quantity, 3), "usd": round(self.usd, 6)}


def priced(usage: Sequence[tuple[str, str, float]], prices: Mapping[str, Any]) -> list[Line]:
    """(price key, what, quantity a day) -> priced lines."""
    table = prices["prices"]
    return [Line(key, what, qty, qty * float(table[key]["usd"])) for key, what, qty in usage]


def per_million(usd_a_day: float, volume: int) -> float:
    return usd_a_day / (volume / 1_000_000)
