"""Drills through the real pipeline. A drill takes a scenario's storm (a timeline of mentions and
reports) and sends it, step by step, through the real webhooks: mentions to the generic source,
signed with its secret; reports through the report form, with a form token of its own. Each item
carries the drill's signed mark, so everything it becomes says DRILL (the wall, notifications,
the incident's plan and brief) and nothing of it is counted (baselines, ledgers, digests, the
dark site). The drill measures how the team did and ends in a report.

Sending is idempotent: a step's mention has a fixed identity (its URL) and a step's report a
fixed tracking id, so a step sent twice (a schedule run that died before recording it) is
stored once."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError
from standardwebhooks.webhooks import Webhook

from chalicelib import credentials
from chalicelib.clock import utcnow
from chalicelib.errors import Conflict, DeliveryFailed, InvalidPayload, NotFound
from chalicelib.intake.web_form import token_with_nonce
from chalicelib.observability import logger
from chalicelib.policy.drill_marks import mark, new_drill_id
from chalicelib.settings import get_settings
from chalicelib.store.config import load_scenarios
from chalicelib.store.models import ConfigModel

MAX_PACE = 60.0
SEND_TIMEOUT = 8.0


def _row(drill_id: str) -> ConfigModel:
    try:
        return ConfigModel.get("drill", drill_id[:20])
    except ConfigModel.DoesNotExist:
        raise NotFound(f"no drill {drill_id[:20]!r}") from None


def load(drill_id: str) -> dict[str, Any]:
    return dict(json.loads(_row(drill_id).body))


def _save(doc: dict[str, Any], *, now: datetime, condition: Any = None) -> None:
    ConfigModel(kind="drill", key=doc["id"], body=json.dumps(doc), updated_at=now).save(condition=condition)


CHANGE_ATTEMPTS = 5


def _change(drill_id: str, mutate: Callable[[dict[str, Any]], bool], *, now: datetime) -> dict[str, Any]:
    """Read, change, write only if nobody wrote meanwhile (the schedule records the steps it sent
    while the router records the incident the storm opened: a plain save of either lost the
    other's, and a lost `sent` sends the storm again); again from a fresh read when somebody did.
    `mutate` says whether it changed anything."""
    for _ in range(CHANGE_ATTEMPTS):
        row = _row(drill_id)
        doc = dict(json.loads(row.body))
        if not mutate(doc):
            return doc
        try:
            _save(doc, now=now, condition=ConfigModel.body == row.body)
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue
        return doc
    raise Conflict(f"drill {drill_id[:20]!r} kept changing while being recorded; try again")


def list_drills() -> list[dict[str, Any]]:
    return sorted((json.loads(r.body) for r in ConfigModel.query("drill")), key=lambda d: d["started_at"], reverse=True)


def start(*, scenario_id: str, pace: float, by: str, now: datetime) -> dict[str, Any]:
    """A new drill of a scenario (the version in force now); the schedule sends its storm."""
    scenario = next((s for s in load_scenarios() if s.id == scenario_id), None)
    problems = []
    if scenario is None:
        problems.append(f"scenario: no scenario {scenario_id[:40]!r}")
    elif not scenario.storm:
        problems.append(f"scenario: {scenario_id} has no storm to send (add one: see docs/crisis-plan.md)")
    if not 1 <= pace <= MAX_PACE:
        problems.append(f"pace: 1 (real time) to {MAX_PACE:.0f} (a minute of the plan in a second)")
    if problems or scenario is None:
        raise InvalidPayload("cannot start the drill: " + "; ".join(problems), extra={"errors": problems})
    doc = {
        "id": new_drill_id(),
        "scenario": scenario.id,
        "name": scenario.name,
        "version": scenario.version,
        "pace": pace,
        "started_at": now.isoformat(),
        "started_by": by[:120],
        "status": "running",
        "steps": [dict(step) for step in scenario.storm],
        "sent": [],
        "incidents": [],
    }
    _save(doc, now=now)
    return doc


def end(*, drill_id: str, now: datetime) -> dict[str, Any]:
    def ending(doc: dict[str, Any]) -> bool:
        if doc["status"] != "running":
            return False
        doc.update(status="ended", ended_at=now.isoformat())
        return True

    return _change(drill_id, ending, now=now)


def took_hold(drill_id: str, *, incident_id: str, at: datetime) -> None:
    """The drill's storm opened an incident and its plan took hold: the report follows it."""

    def following(doc: dict[str, Any]) -> bool:
        if incident_id in doc["incidents"]:
            return False
        doc["incidents"] = [*doc["incidents"], incident_id]
        doc.setdefault("first_incident_at", at.isoformat())
        return True

    _change(drill_id, following, now=at)


def _post(path: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(  # noqa: S310  (our own base URL)
        get_settings().public_base_url + path, data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"the drill could not reach {path}: {type(exc).__name__}") from exc


def send_mention(doc: dict[str, Any], index: int, step: dict[str, Any], *, now: datetime) -> int:
    """A storm mention through the generic webhook, signed as any sender signs it."""
    secret = credentials.source_secrets("generic").get("secret", [""])[0]
    mention = step["mention"]
    data = {
        "id": f"{doc['id']}-{index}",
        "url": f"https://drill.invalid/{doc['id']}/{index}",
        "text": mention["text"],
        "author": mention.get("author") or {},
        "platform": mention.get("platform", "x"),
        "published_at": now.isoformat(),
        "lang": mention.get("lang", ""),
        "drill": mark(key=credentials.signing_key(), drill_id=doc["id"]),
    }
    body = json.dumps({"type": "mention.created", "timestamp": now.isoformat(), "data": data}).encode()
    msg_id = f"msg_{doc['id']}_{index}"
    signature = Webhook(secret).sign(msg_id, now, body.decode())
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return _post("/webhooks/generic", body, headers)


def send_report(doc: dict[str, Any], index: int, step: dict[str, Any], *, now: datetime) -> int:
    """A storm report through the report form, with a form token whose nonce is fixed by the
    drill and step (so a report sent twice is stored once, as a double submit is)."""
    key = credentials.signing_key()
    nonce = hmac.new(key, f"drill-report|{doc['id']}|{index}".encode(), hashlib.sha256).digest()[:12]
    token = token_with_nonce(key=key, nonce=nonce, now=utcnow())  # the form checks it against its clock
    report = step["report"]
    fields = {
        "csrf": token,
        "text": report["text"],
        "urgency": report.get("urgency", "normal"),
        "department": report.get("department", ""),
        "anonymous": "1",
        "drill": mark(key=key, drill_id=doc["id"]),
    }
    body = urllib.parse.urlencode(fields).encode()
    return _post("/report", body, {"content-type": "application/x-www-form-urlencoded", "accept": "application/json"})


def run_due(*, now: datetime) -> int:
    """Send every running drill's steps that are due (at its pace); the steps sent are recorded
    after they are sent. Returns how many were sent."""
    sent = 0
    for doc in list_drills():
        if doc["status"] != "running":
            continue
        started = datetime.fromisoformat(doc["started_at"])
        done = set(doc["sent"])
        for index, step in enumerate(doc["steps"]):
            if index in done or started + timedelta(seconds=step["after_seconds"] / doc["pace"]) > now:
                continue
            try:
                status = (send_mention if "mention" in step else send_report)(doc, index, step, now=now)
            except DeliveryFailed:
                logger.warning("drill step not sent", extra={"drill": doc["id"], "step": index})
                break  # the next run tries again
            if status >= 400:
                logger.warning("drill step refused", extra={"drill": doc["id"], "step": index, "status": status})
            done.add(index)
            sent += 1
        if len(done) != len(doc["sent"]):

            def recording(fresh: dict[str, Any], done: set[int] = done) -> bool:
                fresh["sent"] = sorted(done | set(fresh["sent"]))
                return True

            _change(doc["id"], recording, now=now)  # took_hold may be adding an incident meanwhile
    return sent


def report(doc: dict[str, Any], reviews: list[dict[str, Any]]) -> dict[str, Any]:
    """How the team did: from the drill's start to the first acknowledgement, an approved
    statement and the all-staff brief, and how much of the checklist was done (pure)."""
    started = datetime.fromisoformat(doc["started_at"])

    def after(at: str | None) -> float | None:
        return round((datetime.fromisoformat(at) - started).total_seconds() / 60, 1) if at else None

    def first(values: list[str | None]) -> str | None:
        present = sorted(v for v in values if v)
        return present[0] if present else None

    tasks = [t for r in reviews for t in r["checklist"]["tasks"]]
    approved = [e["at"] for r in reviews for e in r["timeline"] if e.get("event") == "statement ready"]
    return {
        "drill": {
            k: doc.get(k)
            for k in ("id", "scenario", "name", "version", "pace", "started_at", "started_by", "status", "ended_at")
        },
        "steps": {"total": len(doc["steps"]), "sent": len(doc["sent"])},
        "incidents": doc["incidents"],
        "minutes": {
            "to_incident": after(doc.get("first_incident_at")),
            "to_acknowledge": after(first([r["incident"]["acknowledged_at"] for r in reviews])),
            "to_approved_statement": after(first(approved)),
            "to_all_staff_brief": after(first([s["at"] for r in reviews for s in r["statements"]])),
        },
        "checklist": {
            "total": len(tasks),
            "done": sum(1 for t in tasks if t["status"] == "done"),
            "reminded": sum(1 for t in tasks if t.get("reminded")),
        },
    }
