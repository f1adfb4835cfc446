"""`make cost`'s in-process half: the same replay under moto's mock_aws, each Lambda handler
timed as it runs. `python -m bench.cost_handlers PLAN OUT` (bench_cost.py starts it in a fresh
interpreter: it needs an environment of its own) writes, per kind of invocation (the API, the
stream, each schedule):

- invocations and the CPU time they took on this machine, less the time moto spent answering
  inside them (moto's is the emulator's work, not the function's);
- the AWS calls each made, by service, and what the ledger (infra/local/ledger.py) says AWS
  would bill for them; the schedule's are what `make cost` counts for a day's schedule;
- the bytes each wrote to stdout, which CloudWatch Logs ingests on Lambda (powertools' log
  lines at INFO, as deployed, and the EMF documents that become metrics), and the metric series;
- the bytes the replay left stored in each table (DynamoDB's storage, its 100 bytes an item
  and the global indexes' copies included).

Comprehend is on for the languages the CDK stack configures, as on AWS (the local stack has it
off): its units come from here."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.cost import COST_RULES, Tally
from bench.harness import in_process_environment, scaled

SCHEDULE_ROUNDS = scaled(3, 1)  # times each every-minute schedule is run and timed
STORAGE_OVERHEAD = 100  # bytes DynamoDB adds to each item it stores, in a table and in an index


class Meter:
    """Who is running now (a kind of invocation), and what each kind has cost so far."""

    def __init__(self) -> None:
        self.kind = "setup"
        self.moto_cpu = 0.0
        self.invocations: Counter[str] = Counter()
        self.cpu_ms: dict[str, float] = {}
        self.log_bytes: Counter[str] = Counter()
        self.emf_docs: Counter[str] = Counter()
        self.series: set[tuple[str, ...]] = set()
        self.entries: dict[str, list[dict[str, Any]]] = {}

    def record(self, entry: dict[str, Any]) -> None:
        self.entries.setdefault(self.kind, []).append(entry)

    def run(self, kind: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        previous, self.kind = self.kind, kind
        # The process's CPU time, not this thread's: a handler sends its batch requests a few at
        # once from worker threads (store/batch.py), and moto's share is taken off per thread.
        moto_before, started = self.moto_cpu, time.process_time()
        try:
            return call(*args, **kwargs)
        finally:
            spent = time.process_time() - started - (self.moto_cpu - moto_before)
            self.invocations[kind] += 1
            self.cpu_ms[kind] = self.cpu_ms.get(kind, 0.0) + spent * 1000
            self.kind = previous


class Tap(io.TextIOBase):
    """stdout, counted by whoever writes: what CloudWatch Logs would ingest."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.meter.log_bytes[self.meter.kind] += len(text.encode())
        for line in text.splitlines():
            if '"_aws"' in line:
                self.meter.emf_docs[self.meter.kind] += 1
                self._series(json.loads(line))
        return len(text)

    def _series(self, doc: dict[str, Any]) -> None:
        for directive in doc["_aws"].get("CloudWatchMetrics", []):
            for dimensions in directive.get("Dimensions", [[]]):
                labels = tuple(f"{d}={doc.get(d, '')}" for d in sorted(dimensions))
                for metric in directive.get("Metrics", []):
                    self.meter.series.add((directive.get("Namespace", ""), *labels, metric["Name"]))


def _time_moto(meter: Meter) -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    answer = BotocoreStubber.__call__
    adding = threading.Lock()  # answered on the handlers' worker threads too

    def timed(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return answer(self, event_name, request, **kwargs)
        finally:
            spent = time.thread_time() - started
            with adding:
                meter.moto_cpu += spent

    BotocoreStubber.__call__ = timed  # type: ignore[method-assign]


def _stored() -> dict[str, int]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    out = {}
    for name, table in dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables.items():
        total = 0
        for item in table.all_items():
            total += item.size() + STORAGE_OVERHEAD
            for index in table.global_indexes:
                if all(k["AttributeName"] in item.attrs for k in index.schema):
                    total += index.project(item).size() + STORAGE_OVERHEAD
        out[name] = total
    return out


def replay(plan: dict[str, Any]) -> dict[str, Any]:
    meter = Meter()
    sys.stdout = Tap(meter)  # before powertools' Logger is made: it keeps the stream it was given
    in_process_environment(
        SHAREDWATCH_PUBLIC_BASE_URL="https://sharedwatch.example.com",
        SHAREDWATCH_CONFIG_CACHE_SECONDS="0",  # see bench_cost.py: invocations a minute apart
        POWERTOOLS_LOG_LEVEL="INFO",
        POWERTOOLS_METRICS_DISABLED="false",
        POWERTOOLS_SERVICE_NAME="sharedwatch",
        POWERTOOLS_METRICS_NAMESPACE="sharedwatch",
    )
    from chalicelib.comprehend import LANGUAGES  # Settings are read at first use, below

    os.environ["SHAREDWATCH_COMPREHEND_LANGUAGES"] = ",".join(LANGUAGES)
    from moto import mock_aws

    from infra.local import ledger
    from infra.local.moto_server import transactions_keep_only_their_items

    transactions_keep_only_their_items()  # moto's deep copies are the emulator's time, not ours
    _time_moto(meter)
    ledger.install(meter.record)
    with mock_aws():
        from chalice.test import Client

        import app
        from chalicelib.settings import get_settings
        from chalicelib.store.config import delete_config, load_routing, save_rule
        from infra.local.bootstrap import create_resources
        from infra.local.handlers import app_event_sources
        from infra.local.scheduler import ScheduleRunner
        from infra.local.stream_pump import StreamPump
        from tests.support import SECRET, batch_envelope, signed_headers

        assert get_settings().comprehend_languages, "Comprehend must be on, as on AWS"
        create_resources(get_settings(), parameters={"signing_key": "k", "sources/generic": SECRET})
        for rule in load_routing().rules:
            delete_config("rule", rule.id)
        for doc in COST_RULES:
            save_rule(dict(doc))
        sources = app_event_sources()
        pump = StreamPump(sources, region="us-east-1", dead_letters=Path(plan["state"]) / "dead-letters.jsonl")
        for binding in pump._bindings:
            handler = binding.handler
            binding.handler = lambda event, context, h=handler: meter.run("stream", h, event, context)
        batches: list[int] = []
        with Client(app.app) as http:
            for minute in plan["minutes"]:
                now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                for request in minute:
                    body = batch_envelope([{**m, "published_at": now} for m in request])
                    headers = signed_headers(body)
                    answer = meter.run("api", http.http.post, "/webhooks/generic", body=body, headers=headers)
                    assert answer.status_code == 202, answer.body
                meter.kind = "pump"
                while handled := pump.pump_once():
                    batches.append(handled)
                meter.kind = "setup"
            runner = ScheduleRunner(sources, region="us-east-1")
            rounds = {
                name: 1 if expr.startswith("cron") else SCHEDULE_ROUNDS for name, expr in runner.expressions.items()
            }
            for name, times in rounds.items():
                for _ in range(times):
                    meter.run(f"schedule:{name}", runner.fire, name)
        stored = _stored()
    sys.stdout = sys.__stdout__
    kinds = {}
    for kind in meter.invocations:
        t = Tally()
        for entry in meter.entries.get(kind, []):
            t.add(entry)
        calls: Counter[str] = Counter()
        for k, n in t.calls.items():
            calls[k.split(".")[0]] += n
        kinds[kind] = {
            "invocations": meter.invocations[kind],
            "cpu_ms": round(meter.cpu_ms.get(kind, 0.0), 2),
            "calls": dict(calls),
            "log_bytes": meter.log_bytes[kind],
            "emf_docs": meter.emf_docs[kind],
            "read_units": t.read_units,
            "write_units": t.write_units + t.index_write_units,
            "publish_requests": t.publish_requests,
            "published": dict(t.published),
            "ses_messages": t.ses_messages,
            "parameter_reads": t.parameter_reads,
            "comprehend_units": t.comprehend_units,
        }
    return {
        "kinds": kinds,
        "expressions": dict(ScheduleRunner(app_event_sources(), region="us-east-1").expressions),
        "metric_series": len(meter.series),
        "stream_batches": batches,
        "stored_bytes": stored,
    }


def main(argv: list[str]) -> int:
    plan_path, out_path = Path(argv[0]), Path(argv[1])
    result = replay(json.loads(plan_path.read_text()))
    out_path.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
