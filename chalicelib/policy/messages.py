"""Render one notification per (signal, group): a full email variant, an SMS of at most 160
characters, and a JSON variant for queue subscribers (archives, the local outbox)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from chalicelib.clock import isoformat
from chalicelib.i18n import ENGLISH, Reader
from chalicelib.policy.rules import Route
from chalicelib.records import Mention, Notification, Report, Signal
from chalicelib.triage.identity import key_for
from chalicelib.triage.severity import LEVELS

if TYPE_CHECKING:
    from chalicelib.policy.stories import Story

SMS_LIMIT = 160
EMAIL_TEXT_LIMIT = 4000  # of a post quoted in an email: SNS takes 256 KB a message, a delivery row 400 KB
SUBJECT_LIMIT = 99  # SNS: ASCII, no line breaks, under 100 characters
_SPACE = re.compile(r"\s+")


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def ascii_subject(text: str) -> str:
    folded = unicodedata.normalize("NFKD", _one_line(text)).encode("ascii", "ignore").decode()
    printable = "".join(c for c in folded if 32 <= ord(c) < 127).strip()
    if len(printable) > SUBJECT_LIMIT:
        printable = printable[: SUBJECT_LIMIT - 3].rstrip() + "..."
    return printable or "sharedwatch notification"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def _reach(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1_000:
        return f"{n / 1_000:.0f}k"
    return str(n)


def delivery_id_for(signal: Signal, group: str, level: int = 0) -> str:
    item_id = signal.mention_id if isinstance(signal, Mention) else signal.report_id
    return key_for("delivery", f"{signal.kind}:{item_id}:{group}:{level}")


def _mention_email(m: Mention, reasons: tuple[str, ...]) -> tuple[str, str]:
    who = f"@{m.author.handle}" if m.author.handle else (m.author.name or "someone")
    tag = "Kudos" if m.kudos else (m.severity.capitalize() if m.severity in {"high", "critical"} else "")
    subject = f"[sharedwatch]{f' {tag}:' if tag else ''} {who} on {m.platform or m.source}: {_one_line(m.text)}"
    lines = [
        f"{who}{f' ({m.author.name})' if m.author.name and m.author.handle else ''} on "
        f"{m.platform or 'an unknown platform'}, {isoformat(m.published_at)}",
        f"Reach: {m.author.followers:,} followers{' (verified)' if m.author.verified else ''}",
        "",
        _clip(m.text, EMAIL_TEXT_LIMIT),
        "",
    ]
    if m.url:
        lines.append(f"Link: {m.url}")
    if m.engagement:
        lines.append("Engagement: " + ", ".join(f"{k} {v}" for k, v in sorted(m.engagement.items())))
    if m.sentiment_label:
        lines.append(f"Sentiment: {m.sentiment_label} ({m.sentiment_score:+.2f})")
    if m.departments:
        lines.append(f"Departments: {', '.join(m.departments)}{' (kudos!)' if m.kudos else ''}")
    if m.severity:
        lines.append(f"Severity: {m.severity}" + (f" ({', '.join(m.severity_reasons)})" if m.severity_reasons else ""))
    lines += [f"Delivered by: {m.source}", "", "Why you are getting this:"]
    lines += [f"  - {r}" for r in reasons]
    return subject, "\n".join(lines)


def _report_email(r: Report, reasons: tuple[str, ...]) -> tuple[str, str]:
    subject = f"[sharedwatch] Employee report ({r.urgency}): {_one_line(r.subject or r.text)}"
    lines = [
        f"An employee reported this through the {r.channel} channel, urgency {r.urgency}.",
        f"Tracking id: {r.report_id}",
        f"Reported by: {r.reporter_email or 'anonymous'}",
    ]
    if r.department:
        lines.append(f"Department: {r.department}")
    if r.platform:
        lines.append(f"Platform: {r.platform}")
    lines += ["", _clip(r.text, EMAIL_TEXT_LIMIT), ""]
    lines += [f"Link: {u}" for u in r.urls]
    lines += ["", "Why you are getting this:"]
    lines += [f"  - {reason}" for reason in reasons]
    return subject, "\n".join(lines)


def _sms(signal: Signal) -> str:
    if isinstance(signal, Mention):
        who = f"@{signal.author.handle}" if signal.author.handle else signal.platform
        head = f"sharedwatch: {who} ({_reach(signal.author.followers)}) on {signal.platform or signal.source}: "
        tail = f" {signal.url}" if signal.url and len(signal.url) <= 60 else ""
    else:
        head = f"sharedwatch report ({signal.urgency}): "
        tail = f" #{signal.report_id}"
    room = SMS_LIMIT - len(head) - len(tail)
    return _clip(head + _clip(_one_line(signal.text), max(room, 0)) + tail, SMS_LIMIT)


def _story_lines(story: Story | None) -> list[str]:
    if story is None or story.size <= 1:
        return []
    line = f"Story: {story.size} posts and reports so far, {story.recent} in the last 10 minutes"
    if story.reports:
        line += f", {story.reports} reported by employees"
    lines = [line + "."]
    if story.incident_id:
        lines.append(f"Incident {story.incident_id}{' opened by this one' if story.opened else ''}.")
    return lines


DRILL_LINE = "DRILL: this is an exercise. Act as you would, and say so if you reply to anyone."


def as_drill(n: Notification) -> Notification:
    """A notification about a drill's signal, marked so nobody takes it for the real thing."""
    return replace(
        n,
        subject=ascii_subject("[DRILL] " + n.subject),
        email=f"{DRILL_LINE}\n\n{n.email}",
        sms=_clip("DRILL " + n.sms, SMS_LIMIT),
    )


def render(signal: Signal, route: Route, *, story: Story | None = None) -> Notification:
    if isinstance(signal, Mention):
        subject, email = _mention_email(signal, route.reasons)
        item_id = signal.mention_id
    else:
        subject, email = _report_email(signal, route.reasons)
        item_id = signal.report_id
    extra = _story_lines(story)
    if extra:
        head, marker, tail = email.partition("\nWhy you are getting this:")
        email = head + "\n" + "\n".join(extra) + "\n" + marker + tail
    n = Notification(
        delivery_id=delivery_id_for(signal, route.group),
        group=route.group,
        subject=ascii_subject(subject),
        email=email,
        sms=_sms(signal),
        reasons=route.reasons,
        item_kind=signal.kind,
        item_id=item_id,
        severity=severity_of(signal),
    )
    return as_drill(n) if signal.drill else n


def severity_of(signal: Signal) -> str:
    if isinstance(signal, Mention):
        return signal.severity or "low"
    return str(signal.routing_fields()["severity"])


def _headline(signal: Signal) -> str:
    """One line per signal in a bundle or a digest."""
    if isinstance(signal, Mention):
        who = f"@{signal.author.handle}" if signal.author.handle else (signal.author.name or signal.platform)
        tags = [t for t in (signal.sentiment_label, signal.severity if signal.severity != "low" else "") if t]
        if signal.kudos:
            tags.append("kudos")
        head = f"{who} ({_reach(signal.author.followers)}) on {signal.platform or signal.source}"
        labels = f" [{', '.join(tags)}]" if tags else ""
        line = f"{head}{labels}: {_clip(_one_line(signal.text), 200)}"
        return line + (f" {signal.url}" if signal.url else "")
    return f"employee report ({signal.urgency}, #{signal.report_id}): {_clip(_one_line(signal.text), 200)}"


def render_bundle(group: str, group_name: str, items: list[tuple[Signal, Route]]) -> Notification:
    """Several new stories for one group from one burst: one message that lists them all."""
    n = len(items)
    signals = [s for s, _ in items]
    negative = sum(1 for s in signals if isinstance(s, Mention) and s.sentiment_label == "negative")
    kudos = sum(1 for s in signals if isinstance(s, Mention) and s.kudos)
    reports = sum(1 for s in signals if isinstance(s, Report))
    parts = [f"{negative} negative" if negative else "", f"{kudos} kudos" if kudos else ""]
    parts.append(f"{reports} employee report{'s' if reports != 1 else ''}" if reports else "")
    summary = ", ".join(p for p in parts if p)
    shown = items[:25]
    lines = [f"{n} new for {group_name}{f' ({summary})' if summary else ''}, newest first:", ""]
    for signal, route in shown:
        lines.append(f"- {_headline(signal)}")
        lines.append(f"    why: {route.reasons[0]}" if route.reasons else "")
    if n > len(shown):
        lines.append(f"... and {n - len(shown)} more: the wall shows them all.")
    ids = sorted(s.mention_id if isinstance(s, Mention) else s.report_id for s in signals)
    severities = [severity_of(s) for s in signals]
    top = max(severities, key=LEVELS.index) if severities else "low"
    latest = _clip(_one_line(signals[0].text), 60)
    bundle = Notification(
        delivery_id=key_for("delivery", f"bundle:{group}:{','.join(ids)}"),
        group=group,
        subject=ascii_subject(f"[sharedwatch] {n} new for {group_name}{f': {summary}' if summary else ''}"),
        email="\n".join(line for line in lines if line != ""),
        sms=_clip(
            f"sharedwatch: {n} new for {group_name}{f' ({summary})' if summary else ''}. Latest: {latest}", SMS_LIMIT
        ),
        reasons=tuple(dict.fromkeys(r for _, route in items for r in route.reasons[:1]))[:10],
        item_kind="bundle",
        item_id=ids[0],
        severity=top,
    )
    return as_drill(bundle) if any(s.drill for s in signals) else bundle


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What every notice about one incident repeats."""

    incident_id: str
    title: str
    severity: str
    context: str  # the first notice's text: follow-ups repeat it
    owner_name: str


def render_incident(
    facts: IncidentFacts,
    *,
    group: str,
    tag: str,
    headline: str,
    reasons: tuple[str, ...],
    ack_url: str,
    sms_ack_url: str = "",
) -> Notification:
    """An incident notice or follow-up: what happened now (headline), the original context
    repeated, who owns it, and the acknowledge link (a GET shows, a POST acknowledges)."""
    incident_id, title, severity, context, owner_name = (
        facts.incident_id,
        facts.title,
        facts.severity,
        facts.context,
        facts.owner_name,
    )
    subject = f"[sharedwatch] {headline.split(':', 1)[0]} ({severity}): {_one_line(title)}"
    email = "\n".join(
        [
            headline,
            "",
            context.strip(),
            "",
            f"Incident: {incident_id}, severity {severity}, owner {owner_name or 'not set'}.",
            f"Acknowledge (opens a page; nothing happens until you press the button): {ack_url}",
            "",
            "Why you are getting this:",
            *[f"  - {r}" for r in reasons],
        ]
    )
    head = f"sharedwatch {headline.split(':', 1)[0].lower()} ({severity}): "
    tail = f" Ack: {sms_ack_url or ack_url}"
    sms = head + _clip(_one_line(title), max(SMS_LIMIT - len(head) - len(tail), 0)) + tail
    return Notification(
        delivery_id=key_for("delivery", f"incident:{incident_id}:{group}:{tag}"),
        group=group,
        subject=ascii_subject(subject),
        email=email,
        sms=_clip(sms, SMS_LIMIT),
        reasons=reasons,
        item_kind="incident",
        item_id=incident_id,
        severity=severity,
        incident_id=incident_id,
    )


def render_in_hand(facts: IncidentFacts, *, group: str, who: str, event: str, tag: str) -> Notification:
    """To every group that was told about an incident: someone has it (acknowledged) or it is
    over (resolved); once per group and event, so they stop wondering."""
    verb = "is in hand" if event == "acknowledged" else "is resolved"
    subject = f"[sharedwatch] {verb.capitalize()}: {_one_line(facts.title)}"
    email = "\n".join(
        [
            f"The incident you were told about {verb}: {who} {event} it.",
            "",
            facts.context.strip(),
            "",
            f"Incident: {facts.incident_id}, severity {facts.severity}.",
        ]
    )
    head = f"sharedwatch: {verb} ({who}): "
    return Notification(
        delivery_id=key_for("delivery", f"incident:{facts.incident_id}:{group}:{event}:{tag}"),
        group=group,
        subject=ascii_subject(subject),
        email=email,
        sms=_clip(head + _one_line(facts.title), SMS_LIMIT),
        reasons=(f"you were told about incident {facts.incident_id}",),
        item_kind="incident",
        item_id=facts.incident_id,
        severity=facts.severity,
        incident_id=facts.incident_id,
    )


def render_digest(group_name: str, lines: list[str], why: str) -> tuple[str, str, str]:
    """(subject, email, sms) for notifications held back (quiet hours, a maintenance window,
    the group's rate limit) and sent together when it ends."""
    n = len(lines)
    subject = ascii_subject(f"[sharedwatch] Digest for {group_name}: {n} while held ({why})")
    email = "\n".join([f"{n} notification{'s' if n != 1 else ''} for {group_name} held back: {why}.", "", *lines])
    sms = _clip(
        f"sharedwatch digest for {group_name}: {n} held ({why}). Latest: {lines[-1] if lines else ''}", SMS_LIMIT
    )
    return subject, email, sms


def sns_message(n: Notification) -> str:
    """The MessageStructure=json document: one variant per subscriber protocol."""
    structured = {
        "delivery_id": n.delivery_id,
        "group": n.group,
        "item_kind": n.item_kind,
        "item_id": n.item_id,
        "subject": n.subject,
        "email": n.email,
        "sms": n.sms,
        "reasons": list(n.reasons),
    }
    return json.dumps(
        {
            "default": n.email,
            "email": n.email,
            "sms": n.sms,
            "sqs": json.dumps(structured, ensure_ascii=False),
        },
        ensure_ascii=False,
    )


def story_lines(
    *, outcome: str, routed_to: list[str], position: int, lead_minutes: float | None, reader: Reader = ENGLISH
) -> list[str]:
    """The loop back to the reporter, in their language: what became of it, who has it, what it
    was part of. Whole sentences with named placeholders, never fragments joined."""
    lines = [outcome] if outcome else []
    if routed_to:
        lines.append(
            reader.ngettext("%(groups)s has it.", "%(groups)s have it.", len(routed_to), groups=reader.list(routed_to))
        )
    if position == 1:
        lines.append(reader.gettext("You were the first employee to report this."))
    elif position:
        lines.append(
            reader.ngettext(
                "You are employee number %(num)s to report this: thank you for making sure.",
                "You are employee number %(num)s to report this: thank you for making sure.",
                position,
            )
        )
    if lead_minutes is not None:
        if lead_minutes >= 1:
            minutes = round(lead_minutes)
            lines.append(
                reader.ngettext(
                    "You spotted it %(num)s minute before any listening tool did.",
                    "You spotted it %(num)s minutes before any listening tool did.",
                    minutes,
                )
            )
        elif lead_minutes <= -1:
            minutes = round(-lead_minutes)
            lines.append(
                reader.ngettext(
                    "A listening tool had it %(num)s minute earlier; your report adds what you know.",
                    "A listening tool had it %(num)s minutes earlier; your report adds what you know.",
                    minutes,
                )
            )
    return lines
