"""Closing the loop (docs/training.md): a person's own reports and what each led to (for their
page), their choice to be thanked by name, and each department's monthly note to its group
(once a month, by the delivery log)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.flows import measures
from chalicelib.notify.delivery import deliver
from chalicelib.policy import measures as measure_policy
from chalicelib.policy import recognition
from chalicelib.policy.messages import ascii_subject
from chalicelib.policy.noise import ALL, follower_audience
from chalicelib.policy.search import owner_term, parse_search
from chalicelib.records import CHANNELS, Notification
from chalicelib.settings import get_settings
from chalicelib.store import identity
from chalicelib.store.batch import batch_get
from chalicelib.store.config import load_routing
from chalicelib.store.models import ConfigModel, ReportModel
from chalicelib.store.search import search_reports
from chalicelib.triage.identity import key_for

KIND = "recognition"
SHOWN = 20


def my_outcomes(email: str, *, now: datetime) -> list[dict[str, Any]]:
    """The person's own reports of the last 31 days, newest first, each with what it led to: the
    inbox index finds them (one Query a day searched), one BatchGetItem reads what became of them."""
    since = (now - timedelta(days=30)).isoformat()
    search = parse_search({"limit": str(SHOWN), "since": since}, now=now, sources=CHANNELS)
    found = search_reports(replace(search, terms=(*search.terms, owner_term(email))))
    ids = [str(r["id"]) for r in found.items]
    rows = batch_get(ReportModel.Meta.table_name, "report_id", ids) if ids else {}
    out = []
    for report_id in ids:
        item = rows.get(report_id)
        if item is None:
            continue
        plain = {k: _plain(v) for k, v in item.items()}
        out.append(recognition.outcome(plain))
    return out


def _plain(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value as Python (the few kinds a report holds)."""
    if "S" in value:
        return value["S"]
    if "N" in value:
        return float(value["N"])
    if "L" in value:
        return [_plain(v) for v in value["L"]]
    if "BOOL" in value:
        return value["BOOL"]
    return None


def by_name(email: str) -> bool:
    try:
        return bool(json.loads(ConfigModel.get(KIND, email.lower()[:254]).body).get("by_name"))
    except ConfigModel.DoesNotExist:
        return False


def set_by_name(email: str, *, by_name: bool, now: datetime) -> None:
    doc = {"email": email.lower()[:254], "by_name": by_name, "at": now.isoformat()}
    ConfigModel(kind=KIND, key=doc["email"], body=json.dumps(doc), updated_at=now).save()


def _named() -> dict[str, str]:
    """Address -> name of everyone who opted in to be thanked by name (one Query, and their names)."""
    opted = [json.loads(r.body)["email"] for r in ConfigModel.query(KIND) if json.loads(r.body).get("by_name")]
    out = {}
    for email in opted:
        person = identity.get_person(email) or {}
        out[email] = str(person.get("name") or email.split("@")[0])
    return out


def send_team_notes(*, now: datetime) -> dict[str, str]:
    """Each department's note for the month before `now`, to its group and its followers, once."""
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (first - timedelta(days=1)).replace(day=1)
    month = f"{start:%B %Y}"
    label = f"{start:%Y-%m}"
    reports = measures.reports_between(start, first)
    named = _named()
    config = load_routing()
    # The month's measures, kept for the department pages (written again by a rerun: the same).
    measured = measures.month(reports, departments=sorted(config.departments))
    measures.keep(label, measured, now=now)
    outcomes: dict[str, str] = {}
    for department in sorted(config.departments.values(), key=lambda d: d.slug):
        if department.group not in config.groups:
            continue
        note = recognition.team_note(reports, department=department.slug, named=named)
        subject, text = recognition.render_note(note, department_name=department.name, month=month)
        if note["reports"]:  # a quiet month stays one line
            text = "\n".join([text, *measure_policy.month_lines(measured[department.slug])])
        notification = Notification(
            delivery_id=key_for("delivery", f"team-note:{department.slug}:{label}"),
            group=department.group,
            subject=ascii_subject(subject),
            email=text,
            sms=text.splitlines()[0][:160],
            reasons=(f"monthly note for {department.name}",),
            item_kind="digest",
            item_id=f"team-note:{department.slug}:{label}",
        )
        outcomes[department.slug] = deliver(
            notification,
            topic_arn=get_settings().group_topic_arn(department.group),
            audience=(ALL, follower_audience(department.slug)),
        )
    return outcomes
