"""Drills through the real pipeline. A drill takes a scenario's storm (a timeline of mentions and
reports) and sends it, step by step, through the real webhooks: mentions to the generic source,
signed with its secret; reports through the report form, with a form token of its own. Each item
carries the drill's signed mark, so everything it becomes says DRILL (the wall, notifications,
the incident's plan and brief) and nothing of it is counted (baselines, ledgers, digests, the
dark site). The drill measures how the team did and ends in a report.

Sending is idempotent: a step's mention has a fixed identity (its URL) and a step's report a
fixed tracking id, so a step sent twice (a schedule run that died before recording it) is
stored once.

Each drill is its own exercise: its storm finds its stories only among its own (its id is on
every story-index key, `policy/drills.realm_key`), so two drills of one scenario open two
incidents with two plans, and neither ever joins a real story or a real plan. Ending a drill
ends everything it started, at once and idempotently: its incidents resolved as drill-ended,
their plans closed, what was held about them superseded, and its storm's stragglers unrouted."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

from chalicelib import credentials
from chalicelib.clock import utcnow
from chalicelib.errors import DeliveryFailed, InvalidPayload, NotFound
from chalicelib.flows import incidents, plans
from chalicelib.i18n import N_
from chalicelib.intake.web_form import token_with_nonce
from chalicelib.notify import chat
from chalicelib.notify.delivery import supersede_pending
from chalicelib.observability import logger
from chalicelib.policy import chat as chat_policy
from chalicelib.policy import watch
from chalicelib.policy.drill_marks import mark, new_drill_id
from chalicelib.policy.drills import RUNNING, ending, running
from chalicelib.policy.stories import Opening
from chalicelib.settings import get_settings
from chalicelib.store import directory, wall
from chalicelib.store import drills as records
from chalicelib.store.config import load_routing, load_scenarios
from chalicelib.store.models import DeliveryModel, ReportModel
from chalicelib.triage.identity import key_for

MAX_PACE = 60.0
SEND_TIMEOUT = 8.0


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
        raise InvalidPayload(
            N_("cannot start the drill: %(problems)s"),
            values={"problems": "; ".join(problems)},
            extra={"errors": problems},
        )
    doc = {
        "id": new_drill_id(),
        "scenario": scenario.id,
        "name": scenario.name,
        "version": scenario.version,
        "pace": pace,
        "started_at": now.isoformat(),
        "started_by": by[:120],
        "status": RUNNING,
        "steps": [dict(step) for step in scenario.storm],
        "sent": [],
        "incidents": [],
    }
    records.save(doc, now=now)
    return doc


def end(*, drill_id: str, by: str, now: datetime) -> dict[str, Any]:
    """End the drill and everything it started, at once: its storm stops, and each of its
    incidents is resolved as drill-ended with its plan closed and what was held about it
    superseded, so the schedule sends nothing more about it. Idempotent: ending an ended drill
    finishes what an interrupted end left undone and adds nothing twice."""
    doc = records.change(drill_id, lambda d: ending(d, by=by, now=now), now=now)
    stop_incidents(doc["incidents"], by=str(doc.get("ended_by") or by), now=now)
    if doc.get("kind") == watch.KIND:
        show_exercises()  # its post leaves the walls (the department pages read the record)
        close_in_chats(doc)
    return doc


def start_watch(*, departments: list[Any], text: str, by: str, now: datetime) -> dict[str, Any]:
    """A watchfulness exercise: its post (marked DRILL, announced as a practice) appears on each
    department's page and wall at once, with a link to the report form carrying the drill's mark."""
    routing = load_routing()
    chosen, problems = watch.departments_of(departments, routing.departments)
    post, text_problems = watch.post_text(text)
    problems += text_problems
    if problems:
        raise InvalidPayload(
            N_("cannot start the exercise: %(problems)s"),
            values={"problems": "; ".join(problems)},
            extra={"errors": problems},
        )
    drill_id = new_drill_id()
    signed = mark(key=credentials.signing_key(), drill_id=drill_id)
    doc = {
        "id": drill_id,
        "kind": watch.KIND,
        "scenario": "",
        "name": "Watchfulness exercise",
        "version": 0,
        "pace": 1.0,
        "started_at": now.isoformat(),
        "started_by": by[:120],
        "status": RUNNING,
        "steps": [],
        "sent": [],
        "incidents": [],
        "post": post,
        "departments": chosen,
        "links": {d: watch.report_link(mark=signed, department=d, text=post) for d in chosen},
    }
    records.save(doc, now=now)
    show_exercises()
    post_in_chats(doc)
    return doc


def _exercise_channels(doc: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(department, group, platform, where) for each chat channel of each exercise department's
    group (issue 34's announcements channels)."""
    routing = load_routing()
    found = []
    for slug in doc["departments"]:
        department = routing.departments.get(slug)
        group = routing.groups.get(department.group) if department else None
        if department is not None and group is not None:
            found += [(slug, group.slug, platform, where) for platform, where in group.chats]
    return found


def _post_id(doc: dict[str, Any], department: str, platform: str, where: str) -> str:
    return key_for("delivery", f"exercise:{doc['id']}:{department}:{platform}:{where}")


def post_in_chats(doc: dict[str, Any]) -> int:
    """The exercise post in each department's chat channels, once each (a chat row of the delivery
    log: a chat outage is retried and never holds up the start). How many went now."""
    base = get_settings().public_base_url
    posted = 0
    for department, group, platform, where in _exercise_channels(doc):
        name = load_routing().departments[department].name
        message = chat_policy.exercise_post(post=str(doc["post"]), url=base + doc["links"][department], department=name)
        outcome = chat.deliver(
            _post_id(doc, department, platform, where),
            platform=platform,
            where=where,
            doc={"op": "announce", **message},
            item_id=str(doc["id"]),
            group=group,
        )
        posted += outcome == "sent"
    return posted


def close_in_chats(doc: dict[str, Any]) -> int:
    """Each chat post of the exercise closed: edited to say the drill ended, its link gone (or, in
    a channel that cannot edit, a message saying so). Once each; only posts that were made."""
    closed = 0
    for department, group, platform, where in _exercise_channels(doc):
        post = _post_id(doc, department, platform, where)
        try:
            DeliveryModel.get(post)
        except DeliveryModel.DoesNotExist:
            continue  # a channel named after the start: nothing was posted there
        message = chat_policy.exercise_closed(department=load_routing().departments[department].name)
        outcome = chat.deliver(
            key_for("delivery", f"exercise-end:{doc['id']}:{department}:{platform}:{where}"),
            platform=platform,
            where=where,
            doc={"op": "close", "post": post, **message},
            item_id=str(doc["id"]),
            group=group,
        )
        closed += outcome == "sent"
    return closed


def exercises_running() -> list[dict[str, Any]]:
    return [d for d in records.list_all() if d.get("kind") == watch.KIND and running(d)]


def show_exercises() -> bool:
    """The walls show the running exercises' posts (each for its departments); none once ended."""
    posts = [
        {
            "drill": d["id"],
            "text": watch.labelled(str(d["post"])),
            "departments": list(d["departments"]),
            "started_at": d["started_at"],
        }
        for d in exercises_running()
    ]
    return wall.set_exercises(posts)


EXERCISES_SHOWN = 3


def exercises_for(department: str) -> list[dict[str, Any]]:
    """A department page's exercises (the latest few that named it): the post with its link
    while running, and this department's report rate and minutes to the first report."""
    shown = [d for d in records.list_all() if d.get("kind") == watch.KIND and department in d["departments"]]
    return [
        {
            "id": d["id"],
            "running": running(d),
            "started_at": d["started_at"],
            "ended_at": d.get("ended_at"),
            "text": watch.labelled(str(d["post"])),
            "link": d["links"].get(department, ""),
            "measure": watch_measure(d)[department],
        }
        for d in shown[:EXERCISES_SHOWN]
    ]


def watch_measure(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per department of the exercise: report rate (reporters / staff in the directory) and
    minutes to the first report, from the reports that carry the exercise's mark."""
    routing = load_routing().departments
    names = {d: routing[d].name if d in routing else d for d in doc["departments"]}
    rows = ReportModel.drill_index.query(doc["id"])  # the sparse drill index: this exercise's reports only
    reported = []
    for row in rows:
        department = watch.department_of(str(row.department or ""), names)
        if department and watch.belongs(str(row.drill or ""), doc["id"]):
            reported.append(watch.Reported(department, str(row.reporter_email or row.report_id), row.received_at))
    staff = {d: len(directory.in_department(d)) for d in doc["departments"]}
    return watch.measure(started_at=datetime.fromisoformat(doc["started_at"]), reports=reported, staff=staff)


def stop_incidents(incident_ids: Iterable[str], *, by: str, now: datetime) -> int:
    """Resolve each as drill-ended (first: the plan's schedule reads the incident and stops on a
    resolved one), close its plan, supersede what waits to be sent about it. Returns how many
    incidents this call resolved."""
    stopped = 0
    for incident_id in incident_ids:
        stopped += incidents.end_with_drill(incident_id=incident_id, by=by, now=now)
        plans.close_for_drill(incident_id, now=now)
        superseded = supersede_pending(incident_id)
        if superseded:
            logger.info("held notices superseded", extra={"incident": incident_id, "count": superseded})
    return stopped


def follow_openings(openings: Iterable[Opening], *, now: datetime) -> list[str]:
    """The router's hook: every incident a drill's storm opened is followed by its drill (its
    report measures it, its end resolves it). One the drill had already ended by then (the end
    read the drill's incidents before this one was added) is stopped here. Returns those."""
    stopped = []
    for o in openings:
        if not o.drill:
            continue
        try:
            doc = records.follow(o.drill, incident_id=o.incident_id, at=now)
        except NotFound:  # a drill whose record is gone: nothing follows or ends it
            doc = {"status": "", "ended_by": "the drill's record is gone"}
        if not running(doc):
            stop_incidents([o.incident_id], by=str(doc.get("ended_by") or "the drill's end"), now=now)
            stopped.append(o.incident_id)
    return stopped


def ended_among(drill_ids: Iterable[str]) -> frozenset[str]:
    """Which of these drills (a stream batch's) have ended, or are watchfulness exercises: their
    signals are stored, never routed."""
    wanted = list(drill_ids)
    return watch.unrouted(records.states(wanted)) if wanted else frozenset()


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
        raise DeliveryFailed(
            N_("the drill could not reach %(path)s: %(error)s"), values={"path": path, "error": type(exc).__name__}
        ) from exc


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
    for doc in records.list_all():
        if not running(doc):
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

            records.change(doc["id"], recording, now=now)  # the router may be adding an incident meanwhile
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
    read = [m for r in reviews for m in r.get("reach", [])]
    briefs = sorted((m for m in read if m["kind"] == "brief"), key=lambda m: str(m["sent_at"]))

    def read_after(key: str) -> float | None:
        """From the drill's start to the first brief being read by this share of its people."""
        if not briefs or briefs[0][key] is None:
            return None
        return round(float(after(briefs[0]["sent_at"]) or 0) + float(briefs[0][key]), 1)

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
            "to_50_percent_read": read_after("minutes_to_50"),
            "to_80_percent_read": read_after("minutes_to_80"),
        },
        "reach": read,
        "checklist": {
            "total": len(tasks),
            "done": sum(1 for t in tasks if t["status"] == "done"),
            "reminded": sum(1 for t in tasks if t.get("reminded")),
        },
    }
