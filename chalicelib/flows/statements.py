"""Holding statements: edited (an edit made over someone else's revision is refused, and
voids earlier approvals and their links), approved by every role the scenario names, frozen as
an approved version, then published in one step to every employee (SNS and the department
pages), the wall and the public dark site (a drill's to its own DRILL page). Each part of a
publication is idempotent, so a failed one is published again; the plan records it once all
three are done."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from chalicelib import aws
from chalicelib.errors import DeliveryFailed, InvalidPayload
from chalicelib.flows.plans import ALL_STAFF, ask_approvers, change, load, note_on_timeline, state_of
from chalicelib.flows.reach import message_id, reach_people
from chalicelib.i18n import DEFAULT, LANGUAGE_NAMES, LANGUAGES, N_, Reader
from chalicelib.notify.gate import send
from chalicelib.observability import logger
from chalicelib.policy import dark_site
from chalicelib.policy.batch import Outgoing
from chalicelib.policy.crisis import APPROVED, PlanState
from chalicelib.policy.crisis_run import approving, editing, publishable, publishing
from chalicelib.policy.reach import Message
from chalicelib.policy.scenarios import TEXT_LIMIT
from chalicelib.policy.stories import timeline_entry
from chalicelib.records import Notification
from chalicelib.settings import get_settings
from chalicelib.store import wall
from chalicelib.store.config import load_routing
from chalicelib.store.models import ConfigModel, IncidentModel, PlanModel
from chalicelib.triage.identity import key_for
from chalicelib.web import render


def edit_statement(
    *, incident_id: str, lang: str, text: str, revision: int, by: str, via: str, now: datetime
) -> PlanModel:
    """A new revision of a statement: earlier approvals (and their links) no longer count.
    `revision` is the one the editor saw: an edit made over someone else's is refused (409)."""
    text = text.strip()
    if not 0 < len(text) <= TEXT_LIMIT:
        raise InvalidPayload(N_("text: the statement, 1 to %(limit)s characters"), values={"limit": TEXT_LIMIT})
    row, new = change(incident_id, lambda s: editing(s, lang, text=text, revision=revision, by=by, now=now))
    if new:
        note_on_timeline(
            incident_id, [timeline_entry("statement edited", now, by=by, via=via, note=f"{lang} revision {new}")]
        )
        try:
            ask_approvers(state_of(row), now=now)
        except Exception:
            logger.exception("approvers not asked", extra={"incident": incident_id})
    return row


def approve(
    *, incident_id: str, lang: str, revision: int, role: str, by: str, via: str, now: datetime
) -> tuple[PlanModel, bool]:
    """One role's approval of one revision; when every role has approved, the text is frozen as
    an approved version. (row, whether this call approved it)."""
    decide = partial(approving, lang=lang, revision=revision, role=role, by=by, via=via, now=now)
    row, done = change(incident_id, decide)
    if done:
        st = state_of(row).statements[lang]
        entries = [
            timeline_entry("statement approved", now, by=by, via=via, note=f"{lang} revision {revision} as {role}")
        ]
        if st.state == APPROVED:
            entries.append(timeline_entry("statement ready", now, note=f"{lang} revision {revision}: every approver"))
        note_on_timeline(incident_id, entries)
    return row, done


def publish(*, incident_id: str, lang: str, by: str, via: str, now: datetime) -> tuple[PlanModel, bool]:
    """The approved statement, in one step, to every employee (SNS, and the department pages),
    the wall and the public dark site. Each part is idempotent, so a failed publish is simply
    published again; the plan records it once all three are done."""
    row = load(incident_id)
    state = state_of(row)
    st = publishable(state, lang)
    if st is None:
        return row, False
    text, revision = st.text, st.revision
    incident = IncidentModel.get(incident_id)
    brief = state.scenario.brief.get(lang) or state.scenario.brief.get("en") or {}
    drill = bool(row.drill)
    tell_all_staff(state, incident, lang=lang, revision=revision, text=text, brief=brief, now=now, drill=drill)
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
    wall.set_statement([incident_id, *state.joined], line, now=now)
    publish_dark_site(entry, drill=drill)  # a drill's goes to its own DRILL page, never the public one
    publish_region_pages(entry, [dict(r) for r in state.regions], drill=drill)
    row, done = change(incident_id, lambda s: publishing(s, lang, revision=revision, text=text, now=now))
    if done:
        told = "every employee, the wall and the dark site" + (" (its DRILL page)" if drill else "")
        note_on_timeline(
            incident_id,
            [timeline_entry("statement published", now, by=by, via=via, note=f"{lang} revision {revision} to {told}")],
        )
    return row, done


def tell_all_staff(
    state: PlanState,
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
        raise DeliveryFailed(
            N_("the all-staff brief was not sent (%(failures)s); publish again"), values={"failures": failures[0][:200]}
        )
    # And to every active person of the directory, each in their language with a read link.
    press = brief.get("press") or "the incident lead"
    sections = (
        (N_("What happened"), incident.title[:300]),
        (N_("Our statement (approved)"), text),
        *([(N_("What to say"), brief["say"])] if brief.get("say") else []),
        *([(N_("What not to say"), brief["avoid"])] if brief.get("avoid") else []),
        (N_("Press and media questions go to (do not answer them yourself)"), press),
        (N_("Spotted something about this online? Report it"), f"{get_settings().public_base_url}/report"),
    )
    message = Message(
        incident_id=incident.incident_id,
        message_id=message_id("brief", f"{incident.incident_id}:{lang}:{revision}"),
        kind="brief",
        title=incident.title,
        sections=sections,
        sms=f"sharedwatch brief: {text}",
        drill=drill,
    )
    reminder = state.scenario.read_reminder_minutes
    reach_people(group=ALL_STAFF, message=message, now=now, reminder_minutes=reminder, pace=state.pace)
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
    """The public dark site: static pages (and their JSON) in S3, behind CloudFront on AWS. Each
    approved update is added; the pages are written whole from what is kept, one per shipped
    language (policy/dark_site.py: each incident's statement in that language where there is
    one) and index.html in the default. A drill rehearses the same publication to `drill/`, a
    page marked DRILL that the public front page never shows. Returns the page's key."""
    slot, prefix = ("drill", "drill/") if drill else ("current", "")
    return write_dark_site(entry, slot=slot, prefix=prefix, drill=drill, fallback=DEFAULT)


def publish_region_pages(
    entry: Mapping[str, object], regions: Sequence[Mapping[str, object]], *, drill: bool
) -> list[str]:
    """Each of the incident's regions' own dark-site page (`regions/<slug>/`, a drill's under
    `drill/`), its statements in the visitor's language else the region's own. Their keys."""
    keys = []
    for region in regions:
        slug = str(region["slug"])
        prefix = ("drill/" if drill else "") + f"regions/{slug}/"
        languages = region.get("languages")
        fallback = str(languages[0]) if isinstance(languages, list) and languages else DEFAULT
        slot = f"{'drill' if drill else 'current'}:region:{slug}"
        keys.append(write_dark_site(entry, slot=slot, prefix=prefix, drill=drill, fallback=fallback))
    return keys


def write_dark_site(entry: Mapping[str, object], *, slot: str, prefix: str, drill: bool, fallback: str) -> str:
    """Add `entry` to the statements kept under `slot` and rewrite the pages under `prefix`."""
    try:
        kept = json.loads(ConfigModel.get("dark-site", slot).body)
    except ConfigModel.DoesNotExist:
        kept = []
    same = (entry["incident_id"], entry["lang"], entry["revision"])
    kept = [e for e in kept if (e["incident_id"], e["lang"], e["revision"]) != same]
    public = {k: entry[k] for k in ("incident_id", "title", "lang", "revision", "text", "at")}
    kept = sorted([public, *kept], key=lambda e: str(e["at"]), reverse=True)[:DARK_SITE_KEPT]
    settings = get_settings()
    s3 = aws.s3()
    for name, (language, updates) in dark_site.pages(kept, fallback=fallback).items():
        html = render(
            "dark_site.html",
            reader=Reader.of(language),
            company=settings.company_name,
            updates=updates,
            drill=drill,
            languages=[(lang, LANGUAGE_NAMES[lang], dark_site.page_name(lang)) for lang in LANGUAGES],
        )
        s3.put_object(
            Bucket=settings.dark_site_bucket,
            Key=prefix + name,
            Body=html.encode(),
            ContentType="text/html; charset=utf-8",
            ContentLanguage=language,
            CacheControl="max-age=60",
        )
    s3.put_object(
        Bucket=settings.dark_site_bucket,
        Key=prefix + "statements.json",
        Body=json.dumps({"company": settings.company_name, "drill": drill, "updates": kept}).encode(),
        ContentType="application/json",
        CacheControl="max-age=60",
    )
    at = datetime.fromisoformat(str(entry["at"]))
    ConfigModel(kind="dark-site", key=slot, body=json.dumps(kept), updated_at=at).save()
    return prefix + "index.html"
