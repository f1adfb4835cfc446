"""The crisis plan at work. When an incident matches a scenario the plan takes hold: its tasks
are created with owners and due times, the stakeholders' updates are scheduled at their
cadence, the holding statements are drafted and their approvers asked. The schedule reminds an
overdue task's owner and then its backup, and sends each update when it is due. A statement is
edited (voiding approvals), approved by every role the scenario names, then published in one
step to every employee, the wall and the public dark site. The review is read from all of it.

Side effects first, then the record: every mail and notification has a deterministic delivery
id (the delivery log sends it once), so a run that dies between the two repeats the send
harmlessly and writes the record the next time."""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import aws, credentials
from chalicelib.errors import Conflict, DeliveryFailed, InvalidPayload, NotFound
from chalicelib.flows import drills
from chalicelib.notify.gate import send
from chalicelib.notify.mail import send_mail
from chalicelib.observability import logger
from chalicelib.policy import approval_links
from chalicelib.policy.plan import Outgoing
from chalicelib.policy.scenarios import (
    EMAIL,
    TEXT_LIMIT,
    Facts,
    Scenario,
    fill,
    language_for,
    local_time,
    match,
    next_reminder_at,
    parse_scenario,
    reminder_due,
    scenario_document,
    tasks_for,
    update_due,
)
from chalicelib.policy.stories import timeline_entry
from chalicelib.records import Mention, Notification, Signal
from chalicelib.settings import get_settings
from chalicelib.store import wall
from chalicelib.store.config import load_routing, load_scenarios
from chalicelib.store.models import ConfigModel, IncidentModel, PlanModel
from chalicelib.triage.identity import key_for
from chalicelib.web import render

DUE = "open"
ALL_STAFF = "all-staff"  # the group every employee's address is in: all-staff briefs go to it
ATTEMPTS = 5
T = TypeVar("T")


# -- reading and changing a plan -----------------------------------------------------------------


def load(incident_id: str) -> PlanModel:
    try:
        return PlanModel.get(incident_id[:40], consistent_read=True)
    except PlanModel.DoesNotExist:
        raise NotFound(f"incident {incident_id[:40]!r} has no crisis plan") from None


def scenario_of(row: PlanModel) -> Scenario:
    """The scenario as it was when the incident started (its version is kept on the plan)."""
    return parse_scenario(row.doc["scenario"], key=row.scenario)


def _parse(at: str | None) -> datetime | None:
    return datetime.fromisoformat(at) if at else None


def next_at(doc: Mapping[str, Any]) -> datetime | None:
    """When the schedule must next look at this plan: the first task reminder or update due."""
    if doc.get("closed_at"):
        return None
    pace = float(doc.get("pace", 1))
    times: list[datetime] = []
    for t in doc["tasks"]:
        if t["status"] == "open":
            when = next_reminder_at(
                due_at=datetime.fromisoformat(t["due_at"]),
                reminded=t["reminded"],
                has_backup=bool(t["backup"]),
                pace=pace,
            )
            if when:
                times.append(when)
    opened = datetime.fromisoformat(doc["opened_at"])
    for x in doc["scenario"].get("stakeholders", []):
        key = f"group:{x['group']}" if x.get("group") else f"person:{x['person']}"
        last = _parse(doc["updates"].get(key, {}).get("last"))
        times.append((last or opened) + timedelta(minutes=x["every_minutes"] / pace))
    return min(times) if times else None


def _write(row: PlanModel, doc: dict[str, Any], *, create: bool = False) -> bool:
    """Store the changed document if nobody changed it meanwhile; False when somebody did."""
    when = next_at(doc)
    actions: list[Any] = [PlanModel.doc.set(doc), PlanModel.rev.set(int(row.rev) + 1)]
    actions += [PlanModel.due.set(DUE), PlanModel.next_at.set(when)] if when else [PlanModel.due.remove()]
    if not when:
        actions.append(PlanModel.next_at.remove())
    try:
        row.update(actions=actions, condition=PlanModel.rev == int(row.rev))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def change(incident_id: str, mutate: Callable[[dict[str, Any], PlanModel], T]) -> tuple[PlanModel, T]:
    """Read, change a copy, write conditionally; again when someone else wrote meanwhile."""
    for _ in range(ATTEMPTS):
        row = load(incident_id)
        doc = copy.deepcopy(row.doc)
        result = mutate(doc, row)
        if doc == row.doc or _write(row, doc):
            return load(incident_id), result
    raise Conflict("the plan kept changing while this was saved; try again")


def _timeline(incident_id: str, entries: Sequence[str]) -> None:
    if entries:
        IncidentModel(incident_id=incident_id).update(
            actions=[IncidentModel.timeline.set(IncidentModel.timeline.append(list(entries)))]
        )


# -- the plan takes hold -----------------------------------------------------------------------


def _statement(text: str, *, by: str, at: datetime) -> dict[str, Any]:
    return {
        "text": text,
        "revision": 1,
        "approvals": {},
        "state": "draft",
        "history": [{"revision": 1, "text": text, "by": by, "at": at.isoformat()}],
        "approved": [],
    }


def values_of(doc: Mapping[str, Any], incident: Mapping[str, Any] | None = None) -> dict[str, str]:
    """What a statement template may say: the incident's facts, nothing else."""
    opened = datetime.fromisoformat(doc["opened_at"])
    return {
        "title": str((incident or {}).get("title") or doc.get("title", ""))[:200],
        "company": get_settings().company_name,
        "opened": opened.strftime("%d %B %Y, %H:%M UTC"),
        "severity": str(doc.get("severity", "")),
        "scenario": str(doc["scenario"]["name"]),
        "incident": str(doc["incident_id"]),
    }


def take_hold(
    *,
    incident_id: str,
    title: str,
    severity: str,
    opened_at: datetime,
    facts: Facts,
    now: datetime,
    scenarios: Sequence[Scenario] | None = None,
    drill: str = "",
) -> PlanModel | None:
    """Start the matching scenario's plan for an incident, once (None when none matches). A
    drill's incident takes the drill's own scenario, at the drill's pace."""
    pace = 1.0
    if drill:
        drill_doc = drills.load(drill)
        pace = float(drill_doc.get("pace", 1))
        scenarios = [s for s in (load_scenarios() if scenarios is None else scenarios) if s.id == drill_doc["scenario"]]
    found = match(load_scenarios() if scenarios is None else scenarios, facts)
    if found is None:
        return None
    s = found.scenario
    running = running_plan(s.id, drill=drill)
    if running is not None and running.incident_id != incident_id:
        return join_plan(running, incident_id=incident_id, now=now)
    tasks = [
        {
            "id": t.id,
            "task": t.task,
            "role": t.role,
            "owner": t.owner,
            "backup": t.backup,
            "due_at": t.due_at.isoformat(),
            "status": "open",
            "reminded": 0,
        }
        for t in tasks_for(s, opened_at=opened_at, pace=pace)
    ]
    doc: dict[str, Any] = {
        "incident_id": incident_id,
        "scenario": scenario_document(s),
        "reasons": list(found.reasons),
        "title": title[:200],
        "severity": severity,
        "opened_at": opened_at.isoformat(),
        "started_at": now.isoformat(),
        "lang": language_for(s, facts.lang or "en"),
        "tasks": tasks,
        "updates": {},
        "statements": {},
        "actions": [],
        "published": [],
        "pace": pace,
        "drill": drill,
    }
    values = values_of(doc)
    doc["statements"] = {lang: _statement(fill(t, values), by="the plan", at=now) for lang, t in s.statements.items()}
    row = PlanModel(incident_id=incident_id, scenario=s.id, doc=doc, rev=1, drill=drill or None)
    when = next_at(doc)
    if when:
        row.due, row.next_at = DUE, when
    try:
        row.save(condition=PlanModel.incident_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return load(incident_id)
        raise
    _timeline(
        incident_id,
        [
            timeline_entry(
                "plan started", now, scenario=s.name, version=s.version, reason="; ".join(found.reasons)[:300]
            ),
            timeline_entry("statements drafted", now, note=", ".join(sorted(doc["statements"]))),
        ],
    )
    if drill:
        drills.took_hold(drill, incident_id=incident_id, at=now)
    try:
        brief_roles(doc, now=now)
        ask_approvers(doc, now=now)
    except Exception:  # the plan stands; the schedule's reminders and the page carry it
        logger.exception("plan's people not told", extra={"incident": incident_id})
    return row


def facts_for(signals: Sequence[Signal], *, severity: str, reach: int) -> Facts:
    """A story's facts from the signals of it a batch carried: the most severe one speaks for it."""
    from chalicelib.triage.severity import LEVELS

    def rank(s: Signal) -> int:
        level = s.severity if isinstance(s, Mention) else s.routing_fields()["severity"]
        return LEVELS.index(level) if level in LEVELS else 0

    lead = max(signals, key=rank)
    fields = lead.routing_fields()
    return Facts(
        text=" ".join(s.text for s in signals)[:5000],
        departments=tuple(sorted({d for s in signals for d in s.routing_fields()["departments"]})),
        complaint=bool(fields.get("complaint")),
        severity=severity,
        reach=max([reach, *(s.author.followers for s in signals if isinstance(s, Mention))]),
        author=lead.author.handle if isinstance(lead, Mention) else "",
        region=str(fields.get("region", "")),
        brand=str(fields.get("brand", "")),
        lang=str(fields.get("lang", "")),
    )


def start_for(
    changed: Sequence[IncidentModel], signals: Sequence[Signal], stories: Mapping[str, Any], *, now: datetime
) -> int:
    """The router's hook: every incident a batch opened or made more severe, and that has no plan
    yet, is matched against the scenarios. One BatchGet finds which already have one."""
    from chalicelib.policy.stories import item_id
    from chalicelib.store.batch import batch_get

    if not changed:
        return 0
    have = batch_get(PlanModel.Meta.table_name, "incident_id", sorted({r.incident_id for r in changed}))
    scenarios = load_scenarios()
    if not scenarios:
        return 0
    started = 0
    for row in changed:
        if row.incident_id in have or row.status == "resolved":
            continue
        mine = [s for s in signals if getattr(stories.get(item_id(s)), "cluster_id", "") == row.cluster_id]
        if not mine:
            continue
        story = stories[item_id(mine[0])]
        facts = facts_for(mine, severity=row.severity, reach=int(getattr(story, "reach", 0)))
        drill = next((s.drill for s in mine if s.drill), "")
        try:
            if take_hold(
                incident_id=row.incident_id,
                title=row.title,
                severity=row.severity,
                opened_at=row.opened_at,
                facts=facts,
                now=now,
                scenarios=scenarios,
                drill=drill,
            ):
                started += 1
        except Exception:  # the incident and its notices stand; the plan is tried with the next change
            logger.exception("plan not started", extra={"incident": row.incident_id})
    return started


def running_plan(scenario_id: str, *, drill: str = "") -> PlanModel | None:
    """The plan of this scenario already under way (one crisis, one plan: a second story about
    it joins the first plan rather than starting another, with its tasks and its mail)."""
    for row in PlanModel.due_index.query(DUE):
        if row.scenario == scenario_id and (row.drill or "") == drill and not row.doc.get("closed_at"):
            return row
    return None


def join_plan(row: PlanModel, *, incident_id: str, now: datetime) -> PlanModel:
    """Another incident about the same crisis: it is part of the running plan."""

    def mutate(doc: dict[str, Any], _: PlanModel) -> bool:
        if incident_id in doc.setdefault("joined", []):
            return False
        doc["joined"] = [*doc["joined"], incident_id][-50:]
        return True

    joined, added = change(row.incident_id, mutate)
    if added:
        note = f"part of the {row.doc['scenario']['name']} plan of incident {row.incident_id}"
        _timeline(incident_id, [timeline_entry("plan joined", now, note=note)])
        _timeline(row.incident_id, [timeline_entry("incident joined the plan", now, note=incident_id)])
    return joined


def _mail(doc: Mapping[str, Any], *, delivery_id: str, to: str, subject: str, body: str) -> bool:
    """A plan's mail to one person, once (the delivery log); a drill's says so first."""
    if doc.get("drill"):
        subject, body = f"[DRILL] {subject}", f"DRILL: this is an exercise.\n\n{body}"
    return send_mail(
        delivery_id=delivery_id, to=to, subject=subject[:99], body=body, item_id=str(doc["incident_id"]), kind="plan"
    )


def _page(incident_id: str) -> str:
    return f"{get_settings().public_base_url}/incidents/{incident_id}"


def brief_roles(doc: Mapping[str, Any], *, now: datetime) -> int:
    """Each role holder hears, once, what they hold and what is theirs to do by when."""
    told = 0
    incident_id = doc["incident_id"]
    for role, holder in doc["scenario"]["roles"].items():
        mine = [t for t in doc["tasks"] if t["role"] == role]
        lines = [
            f"The {doc['scenario']['name']} plan has started for incident {incident_id}: {doc['title']}",
            "",
            f"You are the {role} (backup: {holder.get('backup') or 'none'}).",
            *(
                [
                    "Your tasks:",
                    *[
                        f"  - {t['task']} (by {local_time(datetime.fromisoformat(t['due_at']), holder['zone'])})"
                        for t in mine
                    ],
                ]
                if mine
                else []
            ),
            "",
            f"The incident: {_page(incident_id)}",
        ]
        if _mail(
            doc,
            delivery_id=key_for("delivery", f"plan-role:{incident_id}:{role}"),
            to=holder["person"],
            subject=f"[sharedwatch] You are {role} for {doc['scenario']['name']}",
            body="\n".join(lines),
        ):
            told += 1
    return told


def ask_approvers(doc: Mapping[str, Any], *, now: datetime) -> int:
    """Every approver of every statement's current revision gets their own link, once."""
    asked = 0
    incident_id = doc["incident_id"]
    key = credentials.signing_key()
    roles = doc["scenario"]["roles"]
    for lang, st in doc["statements"].items():
        if st["state"] != "draft":
            continue
        for role in doc["scenario"]["approvals"]:
            if role in st["approvals"]:
                continue
            token = approval_links.mint(
                key=key, incident_id=incident_id, lang=lang, revision=st["revision"], role=role, now=now
            )
            body = "\n".join(
                [
                    f"A holding statement ({lang}, revision {st['revision']}) for incident {incident_id} needs your "
                    f"approval as {role}:",
                    "",
                    st["text"],
                    "",
                    f"Approve it: {get_settings().public_base_url}/approve/{token}",
                    f"Or open the incident: {_page(incident_id)}",
                    "Any edit voids earlier approvals and this link.",
                ]
            )
            if _mail(
                doc,
                delivery_id=key_for("delivery", f"approve:{incident_id}:{lang}:{st['revision']}:{role}"),
                to=roles[role]["person"],
                subject=f"[sharedwatch] Approve the holding statement for {incident_id} ({lang})",
                body=body,
            ):
                asked += 1
    return asked


# -- what people do with it --------------------------------------------------------------------


def complete_task(*, incident_id: str, task_id: str, by: str, via: str, now: datetime) -> PlanModel:
    def mutate(doc: dict[str, Any], row: PlanModel) -> bool:
        task = next((t for t in doc["tasks"] if t["id"] == task_id), None)
        if task is None:
            raise NotFound(f"no task {task_id[:40]!r} in this plan")
        if task["status"] == "done":
            return False
        task.update(status="done", done_by=by[:120], done_at=now.isoformat(), via=via)
        return True

    row, done = change(incident_id, mutate)
    if done:
        _timeline(incident_id, [timeline_entry("task done", now, by=by, via=via, note=task_id)])
    return row


def _statement_of(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    st: dict[str, Any] | None = doc["statements"].get(lang)
    if st is None:
        raise NotFound(f"no holding statement in {lang[:20]!r} (this plan has {', '.join(sorted(doc['statements']))})")
    return st


def edit_statement(
    *, incident_id: str, lang: str, text: str, revision: int, by: str, via: str, now: datetime
) -> PlanModel:
    """A new revision of a statement: earlier approvals (and their links) no longer count.
    `revision` is the one the editor saw: an edit made over someone else's is refused (409)."""
    text = text.strip()
    if not 0 < len(text) <= TEXT_LIMIT:
        raise InvalidPayload(f"text: the statement, 1 to {TEXT_LIMIT} characters")

    def mutate(doc: dict[str, Any], row: PlanModel) -> int:
        st = _statement_of(doc, lang)
        if revision != st["revision"]:
            raise Conflict(f"revision {st['revision']} is current (you edited {revision}): read it and edit again")
        if text == st["text"]:
            return 0
        st.update(text=text, revision=st["revision"] + 1, approvals={}, state="draft")
        st["history"] = [*st["history"], {"revision": st["revision"], "text": text, "by": by, "at": now.isoformat()}][
            -20:
        ]
        return int(st["revision"])

    row, new = change(incident_id, mutate)
    if new:
        _timeline(incident_id, [timeline_entry("statement edited", now, by=by, via=via, note=f"{lang} revision {new}")])
        try:
            ask_approvers(row.doc, now=now)
        except Exception:
            logger.exception("approvers not asked", extra={"incident": incident_id})
    return row


def roles_of(doc: Mapping[str, Any], email: str) -> list[str]:
    """The approving roles a person holds in this plan (as its holder or its backup)."""
    roles = doc["scenario"]["roles"]
    return [r for r in doc["scenario"]["approvals"] if email.lower() in (roles[r]["person"], roles[r].get("backup"))]


def approve(
    *, incident_id: str, lang: str, revision: int, role: str, by: str, via: str, now: datetime
) -> tuple[PlanModel, bool]:
    """One role's approval of one revision; when every role has approved, the text is frozen as
    an approved version. (row, whether this call approved it)."""

    def mutate(doc: dict[str, Any], row: PlanModel) -> bool:
        st = _statement_of(doc, lang)
        if role not in doc["scenario"]["approvals"]:
            raise InvalidPayload(f"role: one of the approving roles ({', '.join(doc['scenario']['approvals'])})")
        if revision != st["revision"]:
            raise Conflict(
                f"revision {revision} was edited since (revision {st['revision']} is current): read it again"
            )
        if role in st["approvals"]:
            return False
        st["approvals"][role] = {"by": by[:120], "via": via, "at": now.isoformat()}
        if all(r in st["approvals"] for r in doc["scenario"]["approvals"]):
            st["state"] = "approved"
            st["approved"] = [
                *st["approved"],
                {"revision": st["revision"], "text": st["text"], "at": now.isoformat(), "approvals": st["approvals"]},
            ][-20:]
        return True

    row, done = change(incident_id, mutate)
    if done:
        st = row.doc["statements"][lang]
        entries = [
            timeline_entry("statement approved", now, by=by, via=via, note=f"{lang} revision {revision} as {role}")
        ]
        if st["state"] == "approved":
            entries.append(timeline_entry("statement ready", now, note=f"{lang} revision {revision}: every approver"))
        _timeline(incident_id, entries)
    return row, done


def publish(*, incident_id: str, lang: str, by: str, via: str, now: datetime) -> tuple[PlanModel, bool]:
    """The approved statement, in one step, to every employee (SNS, and the department pages),
    the wall and the public dark site. Each part is idempotent, so a failed publish is simply
    published again; the plan records it once all three are done."""
    row = load(incident_id)
    st = _statement_of(copy.deepcopy(row.doc), lang)
    if st["state"] == "published":
        return row, False
    if st["state"] != "approved":
        missing = [r for r in row.doc["scenario"]["approvals"] if r not in st["approvals"]]
        raise Conflict(f"not approved yet: waiting for {', '.join(missing)}")
    text, revision = st["text"], st["revision"]
    incident = IncidentModel.get(incident_id)
    brief = row.doc["scenario"].get("brief", {}).get(lang) or row.doc["scenario"].get("brief", {}).get("en") or {}
    drill = bool(row.drill)
    tell_all_staff(row.doc, incident, lang=lang, revision=revision, text=text, brief=brief, now=now, drill=drill)
    entry = {
        "incident_id": incident_id,
        "title": incident.title[:200],
        "lang": lang,
        "revision": revision,
        "text": text,
        "at": now.isoformat(),
        "say": brief.get("say", ""),
        "avoid": brief.get("avoid", ""),
        "press": brief.get("press", ""),
        "drill": drill,
    }
    save_brief(entry)
    line = {"text": text[:600], "lang": lang, "at": now.isoformat(), "drill": drill}
    wall.set_statement([incident_id, *row.doc.get("joined", [])], line, now=now)
    publish_dark_site(entry, drill=drill)  # a drill's goes to its own DRILL page, never the public one

    def mutate(doc: dict[str, Any], _: PlanModel) -> bool:
        current = doc["statements"][lang]
        if current["revision"] != revision or current["state"] != "approved":
            return False
        current["state"] = "published"
        doc["published"] = [
            *doc["published"],
            {"lang": lang, "revision": revision, "text": text, "at": now.isoformat()},
        ]
        return True

    row, done = change(incident_id, mutate)
    if done:
        told = "every employee, the wall and the dark site" + (" (its DRILL page)" if drill else "")
        _timeline(
            incident_id,
            [timeline_entry("statement published", now, by=by, via=via, note=f"{lang} revision {revision} to {told}")],
        )
    return row, done


def tell_all_staff(
    doc: Mapping[str, Any],
    incident: IncidentModel,
    *,
    lang: str,
    revision: int,
    text: str,
    brief: Mapping[str, str],
    now: datetime,
    drill: bool,
) -> str:
    mark = "DRILL: " if drill else ""
    lines = [
        f"{mark}What happened: {incident.title[:300]}",
        "",
        "Our statement (approved):",
        text,
        "",
        *([f"What to say: {brief['say']}", ""] if brief.get("say") else []),
        *([f"What not to say: {brief['avoid']}", ""] if brief.get("avoid") else []),
        f"Press and media questions go to: {brief.get('press') or 'the incident lead'}; do not answer them yourself.",
        "",
        f"Spotted something about this online? Report it: {get_settings().public_base_url}/report",
    ]
    n = Notification(
        delivery_id=key_for("delivery", f"brief:{incident.incident_id}:{lang}:{revision}"),
        group=ALL_STAFF,
        subject=f"[sharedwatch] {mark}All-staff brief: {incident.title}"[:99],
        email="\n".join(lines),
        sms=f"{mark}sharedwatch brief: {text}"[:160],
        reasons=("the crisis plan's all-staff brief",),
        item_kind="brief",
        item_id=incident.incident_id,
        severity="critical",  # a brief is for now, not a digest: through quiet hours and limits
        incident_id=incident.incident_id,
    )
    outcomes, failures = send([Outgoing(n)], config=load_routing(), now=now)
    if failures:
        raise DeliveryFailed(f"the all-staff brief was not sent ({failures[0][:200]}); publish again")
    return outcomes.get(n.delivery_id, "skipped")


def save_brief(entry: Mapping[str, Any]) -> None:
    """The brief every department page shows while its incident lasts."""
    ConfigModel(
        kind="brief",
        key=str(entry["incident_id"]),
        body=json.dumps(dict(entry)),
        updated_at=datetime.fromisoformat(entry["at"]),
    ).save()


def briefs() -> list[dict[str, Any]]:
    rows = [json.loads(r.body) for r in ConfigModel.query("brief")]
    return sorted(rows, key=lambda b: str(b["at"]), reverse=True)


DARK_SITE_KEPT = 30


def publish_dark_site(entry: Mapping[str, Any], *, drill: bool = False) -> str:
    """The public dark site: a static page (and its JSON) in S3, behind CloudFront on AWS. Each
    approved update is added; the page is written whole from what is kept. A drill rehearses
    the same publication to `drill/`, a page marked DRILL that the public front page never
    shows. Returns the page's key."""
    slot, prefix = ("drill", "drill/") if drill else ("current", "")
    try:
        kept = json.loads(ConfigModel.get("dark-site", slot).body)
    except ConfigModel.DoesNotExist:
        kept = []
    same = (entry["incident_id"], entry["lang"], entry["revision"])
    kept = [e for e in kept if (e["incident_id"], e["lang"], e["revision"]) != same]
    public = {k: entry[k] for k in ("incident_id", "title", "lang", "revision", "text", "at")}
    kept = sorted([public, *kept], key=lambda e: str(e["at"]), reverse=True)[:DARK_SITE_KEPT]
    settings = get_settings()
    html = render("dark_site.html", company=settings.company_name, updates=kept, drill=drill)
    s3 = aws.s3()
    s3.put_object(
        Bucket=settings.dark_site_bucket,
        Key=prefix + "index.html",
        Body=html.encode(),
        ContentType="text/html; charset=utf-8",
        CacheControl="max-age=60",
    )
    s3.put_object(
        Bucket=settings.dark_site_bucket,
        Key=prefix + "statements.json",
        Body=json.dumps({"company": settings.company_name, "drill": drill, "updates": kept}).encode(),
        ContentType="application/json",
        CacheControl="max-age=60",
    )
    at = datetime.fromisoformat(entry["at"])
    ConfigModel(kind="dark-site", key=slot, body=json.dumps(kept), updated_at=at).save()
    return prefix + "index.html"


# -- the schedule: reminders and stakeholder updates -------------------------------------------


def _update_text(doc: Mapping[str, Any], incident: IncidentModel, *, zone: str, now: datetime) -> str:
    done = sum(1 for t in doc["tasks"] if t["status"] == "done")
    overdue = [t for t in doc["tasks"] if t["status"] == "open" and datetime.fromisoformat(t["due_at"]) <= now]
    latest = doc["published"][-1]["text"] if doc["published"] else ""
    return "\n".join(
        [
            f"Update as of {local_time(now, zone)} on incident {incident.incident_id}: {incident.title[:300]}",
            "",
            f"Status: {incident.status}, severity {incident.severity}; opened {local_time(incident.opened_at, zone)}.",
            f"Checklist: {done} of {len(doc['tasks'])} done"
            + (f"; overdue: {', '.join(t['task'][:60] for t in overdue)}" if overdue else "."),
            *(["", "Our published statement:", latest] if latest else ["", "No statement published yet."]),
            "",
            f"The incident: {_page(incident.incident_id)}",
        ]
    )


def run_due(*, now: datetime, limit: int = 100) -> int:
    """Task reminders (owner at the due time, then backup) and stakeholder updates that are
    due; a resolved incident's plan stops. Returns how many went out."""
    sent = 0
    for row in PlanModel.due_index.query(DUE, PlanModel.next_at <= now, limit=limit):
        try:
            sent += _run_one(row, now=now)
        except Exception:  # one plan's failure never holds up the others; it stays due
            logger.exception("plan step failed", extra={"incident": row.incident_id})
    return sent


def _run_one(row: PlanModel, *, now: datetime) -> int:
    incident = IncidentModel.get(row.incident_id, consistent_read=True)
    doc = row.doc
    if incident.status == "resolved":
        change(row.incident_id, lambda d, _: d.update(closed_at=now.isoformat()))
        _timeline(row.incident_id, [timeline_entry("plan closed", now, note="the incident is resolved")])
        return 0
    config = load_routing()
    reminders: list[tuple[str, str]] = []
    entries: list[str] = []
    for t in doc["tasks"]:
        if t["status"] != "open":
            continue
        who = reminder_due(
            due_at=datetime.fromisoformat(t["due_at"]),
            reminded=t["reminded"],
            has_backup=bool(t["backup"]),
            now=now,
            pace=float(doc.get("pace", 1)),
        )
        if not who:
            continue
        to = t["owner"] if who == "owner" else t["backup"]
        zone = doc["scenario"]["roles"][t["role"]].get("zone", "UTC")
        body = "\n".join(
            [
                f"Overdue since {local_time(datetime.fromisoformat(t['due_at']), zone)}: {t['task']}",
                f"Incident {incident.incident_id}: {incident.title[:300]}",
                "" if who == "owner" else f"You are the {t['role']}'s backup: {t['owner']} has not marked it done.",
                f"Mark it done: {_page(incident.incident_id)}",
            ]
        )
        _mail(
            doc,
            delivery_id=key_for("delivery", f"task:{incident.incident_id}:{t['id']}:{who}"),
            to=to,
            subject=f"[sharedwatch] Overdue: {t['task']}",
            body=body,
        )
        reminders.append((t["id"], who))
        entries.append(timeline_entry("task overdue", now, note=t["id"], by=to, reason=f"reminded the {who}"))
    updates: dict[str, str] = {}
    outgoing: list[Outgoing] = []
    opened = datetime.fromisoformat(doc["opened_at"])
    for x in parse_scenario(doc["scenario"], key=row.scenario).stakeholders:
        state = doc["updates"].get(x.key, {})
        last = _parse(state.get("last"))
        pace = float(doc.get("pace", 1))
        if not update_due(x, severity=incident.severity, last=last, opened_at=opened, now=now, pace=pace):
            continue
        n = int(state.get("count", 0)) + 1
        delivery = key_for("delivery", f"update:{incident.incident_id}:{x.key}:{n}")
        text = _update_text(doc, incident, zone=x.zone, now=now)
        subject = f"[sharedwatch] {'DRILL: ' if row.drill else ''}Update {n}: {incident.title}"[:99]
        if x.person:
            send_mail(
                delivery_id=delivery, to=x.person, subject=subject, body=text, item_id=incident.incident_id, kind="plan"
            )
        else:
            outgoing.append(
                Outgoing(
                    Notification(
                        delivery_id=delivery,
                        group=x.group,
                        subject=subject,
                        email=text,
                        sms=f"sharedwatch update {n}: {incident.status}, {incident.severity}: {incident.title}"[:160],
                        reasons=(f"the crisis plan: every {x.every_minutes} minutes",),
                        item_kind="update",
                        item_id=incident.incident_id,
                        severity=incident.severity,
                        incident_id=incident.incident_id,
                    )
                )
            )
        updates[x.key] = now.isoformat()
        entries.append(timeline_entry("stakeholders updated", now, note=x.group or x.person, reason=f"update {n}"))
    if outgoing:
        _, failures = send(outgoing, config=config, now=now)
        if failures:
            raise DeliveryFailed(f"updates not delivered: {failures[0][:200]}")  # stays due: sent again, once

    def mutate(d: dict[str, Any], _: PlanModel) -> None:
        for task_id, who in reminders:
            task = next(t for t in d["tasks"] if t["id"] == task_id)
            task["reminded"] = max(task["reminded"], 1 if who == "owner" else 2)
        for key, at in updates.items():
            state = d["updates"].setdefault(key, {})
            state.update(last=at, count=int(state.get("count", 0)) + 1)

    change(row.incident_id, mutate)
    _timeline(row.incident_id, entries)
    return len(reminders) + len(updates)


# -- the review --------------------------------------------------------------------------------


def add_action(*, incident_id: str, text: str, owner: str, due: str, by: str, now: datetime) -> PlanModel:
    """An action item from the review: tracked (on the plan and the review) until done."""
    problems = []
    text = " ".join(text.split())
    if not 0 < len(text) <= 300:
        problems.append("text: what is to be done, 1 to 300 characters")
    if not EMAIL.match(owner):
        problems.append("owner: the email address of who does it")
    try:
        due_on = date.fromisoformat(due).isoformat() if due else ""
    except ValueError:
        problems.append("due: a date, YYYY-MM-DD")
        due_on = ""
    if problems:
        raise InvalidPayload("invalid action item: " + "; ".join(problems), extra={"errors": problems})

    def mutate(doc: dict[str, Any], _: PlanModel) -> None:
        if len(doc["actions"]) >= 50:
            raise InvalidPayload("a review holds at most 50 action items")
        doc["actions"].append(
            {
                "id": secrets.token_hex(4),
                "text": text,
                "owner": owner.lower(),
                "due": due_on,
                "status": "open",
                "by": by,
                "at": now.isoformat(),
            }
        )

    return change(incident_id, mutate)[0]


def finish_action(*, incident_id: str, action_id: str, by: str, now: datetime) -> PlanModel:
    def mutate(doc: dict[str, Any], _: PlanModel) -> None:
        item = next((a for a in doc["actions"] if a["id"] == action_id), None)
        if item is None:
            raise NotFound(f"no action item {action_id[:20]!r}")
        if item["status"] != "done":
            item.update(status="done", done_by=by[:120], done_at=now.isoformat())

    return change(incident_id, mutate)[0]


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds() / 60, 1) if start and end else None


def review(
    incident: IncidentModel, plan: PlanModel | None, *, story: Mapping[str, Any], told: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The post-incident review, read from the timeline, the plan, the story and the delivery
    log: pure, so the page and the JSON say the same."""
    timeline = [json.loads(str(e)) for e in incident.timeline or []]
    opened = incident.opened_at
    doc = plan.doc if plan else {}
    approved = [
        datetime.fromisoformat(a["at"]) for st in doc.get("statements", {}).values() for a in st.get("approved", [])
    ]
    published = [datetime.fromisoformat(p["at"]) for p in doc.get("published", [])]
    tasks = doc.get("tasks", [])
    done = [t for t in tasks if t["status"] == "done"]
    on_time = [t for t in done if t["done_at"] <= t["due_at"]]
    return {
        "incident": {
            "id": incident.incident_id,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "opened_at": opened.isoformat(),
            "acknowledged_at": incident.acknowledged_at.isoformat() if incident.acknowledged_at else None,
            "acknowledged_by": incident.acknowledged_by,
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        },
        "drill": bool(plan and plan.drill),
        "scenario": {"id": plan.scenario, "name": doc["scenario"]["name"], "version": doc["scenario"]["version"]}
        if plan
        else None,
        "minutes": {
            "to_acknowledge": _minutes(opened, incident.acknowledged_at),
            "to_approve": _minutes(opened, min(approved)) if approved else None,
            "to_publish": _minutes(opened, min(published)) if published else None,
            "to_resolve": _minutes(opened, incident.resolved_at),
        },
        "checklist": {
            "total": len(tasks),
            "done": len(done),
            "on_time": len(on_time),
            "tasks": [
                {
                    k: t.get(k)
                    for k in ("id", "task", "role", "owner", "due_at", "status", "done_by", "done_at", "reminded")
                }
                for t in tasks
            ],
        },
        "statements": doc.get("published", []),
        "told": list(told),
        "story": dict(story),
        "actions": doc.get("actions", []),
        "timeline": timeline,
    }
