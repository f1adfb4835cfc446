"""Render one notification per (signal, group): a full email variant, an SMS of at most 160
characters, and a JSON variant for queue subscribers (archives, the local outbox). Digests'
words are in policy/digests.py.

Every `[sharedwatch]` subject is built here or in policy/digests.py, but two: notify/delivery.hold_in_digest writes a
placeholder subject on a held digest's row (render_digest gives the one sent), and
flows/statements.py's all-staff brief (issue 32: to move here once that module's rework lands)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.clock import isoformat
from chalicelib.i18n import DEFAULT, ENGLISH, N_, Reader
from chalicelib.policy.rules import Route
from chalicelib.records import Mention, Notification, Report, Signal, delivery_key
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
    return delivery_key(f"{signal.kind}:{item_id}:{group}:{level}")


def _when(moment: datetime, reader: Reader) -> str:
    """English mails keep the ISO time they always had; other readers get their locale's (UTC:
    a group's messages go to members in many zones)."""
    return isoformat(moment) if reader.language == DEFAULT else reader.when(moment)


def _mention_email(m: Mention, reasons: tuple[str, ...], reader: Reader = ENGLISH) -> tuple[str, str]:
    _ = reader.gettext
    who = f"@{m.author.handle}" if m.author.handle else (m.author.name or _("someone"))
    platform = m.platform or m.source
    text = _one_line(m.text)
    if m.kudos:
        subject = _("[sharedwatch] Kudos: %(who)s on %(platform)s: %(text)s", who=who, platform=platform, text=text)
    elif m.severity in {"high", "critical"}:
        subject = _(
            "[sharedwatch] %(severity)s: %(who)s on %(platform)s: %(text)s",
            severity=_(m.severity).capitalize(),
            who=who,
            platform=platform,
            text=text,
        )
    else:
        subject = _("[sharedwatch] %(who)s on %(platform)s: %(text)s", who=who, platform=platform, text=text)
    where = m.platform or _("an unknown platform")
    when = _when(m.published_at, reader)
    if m.author.name and m.author.handle:
        byline = _(
            "%(who)s (%(name)s) on %(platform)s, %(when)s", who=who, name=m.author.name, platform=where, when=when
        )
    else:
        byline = _("%(who)s on %(platform)s, %(when)s", who=who, platform=where, when=when)
    followers = m.author.followers
    reach = (
        reader.ngettext("Reach: %(num)s follower (verified)", "Reach: %(num)s followers (verified)", followers)
        if m.author.verified
        else reader.ngettext("Reach: %(num)s follower", "Reach: %(num)s followers", followers)
    )
    lines = [byline, reach, "", _clip(m.text, EMAIL_TEXT_LIMIT), ""]
    if m.url:
        lines.append(_("Link: %(url)s", url=m.url))
    if m.engagement:
        engagement = ", ".join(f"{k} {v}" for k, v in sorted(m.engagement.items()))
        lines.append(_("Engagement: %(values)s", values=engagement))
    if m.sentiment_label:
        lines.append(
            _("Sentiment: %(label)s (%(score)s)", label=_(m.sentiment_label), score=f"{m.sentiment_score:+.2f}")
        )
    if m.departments:
        names = ", ".join(m.departments)
        lines.append(
            _("Departments: %(names)s (kudos!)", names=names) if m.kudos else _("Departments: %(names)s", names=names)
        )
    if m.severity:
        level = _(m.severity)
        lines.append(
            _("Severity: %(severity)s (%(reasons)s)", severity=level, reasons=", ".join(m.severity_reasons))
            if m.severity_reasons
            else _("Severity: %(severity)s", severity=level)
        )
    lines += [_("Delivered by: %(source)s", source=m.source), "", _("Why you are getting this:")]
    lines += [f"  - {r}" for r in reasons]
    return subject, "\n".join(lines)


def _report_email(r: Report, reasons: tuple[str, ...], reader: Reader = ENGLISH) -> tuple[str, str]:
    _ = reader.gettext
    text = _one_line(r.subject or r.text)
    subject = _("[sharedwatch] Employee report (%(urgency)s): %(text)s", urgency=r.urgency, text=text)
    lines = [
        _(
            "An employee reported this through the %(channel)s channel, urgency %(urgency)s.",
            channel=r.channel,
            urgency=r.urgency,
        ),
        _("Tracking id: %(id)s", id=r.report_id),
        _("Reported by: %(who)s", who=r.reporter_email) if r.reporter_email else _("Reported by: anonymous"),
    ]
    if r.department:
        lines.append(_("Department: %(department)s", department=r.department))
    if r.platform:
        lines.append(_("Platform: %(platform)s", platform=r.platform))
    lines += ["", _clip(r.text, EMAIL_TEXT_LIMIT), ""]
    lines += [_("Link: %(url)s", url=u) for u in r.urls]
    lines += ["", _("Why you are getting this:")]
    lines += [f"  - {reason}" for reason in reasons]
    return subject, "\n".join(lines)


def _sms(signal: Signal, reader: Reader = ENGLISH) -> str:
    if isinstance(signal, Mention):
        who = f"@{signal.author.handle}" if signal.author.handle else signal.platform
        tail = f" {signal.url}" if signal.url and len(signal.url) <= 60 else ""
        values = {"who": who, "reach": _reach(signal.author.followers), "platform": signal.platform or signal.source}
        template = "sharedwatch: %(who)s (%(reach)s) on %(platform)s: %(text)s%(link)s"
    else:
        tail = f" #{signal.report_id}"
        values = {"urgency": signal.urgency}
        template = "sharedwatch report (%(urgency)s): %(text)s%(link)s"
    room = SMS_LIMIT - len(reader.gettext(template, text="", link=tail, **values))
    text = _clip(_one_line(signal.text), max(room, 0))
    return _clip(reader.gettext(template, text=text, link=tail, **values), SMS_LIMIT)


# The SMS templates, for the catalogue (the text is clipped to fit the rest).
N_("sharedwatch: %(who)s (%(reach)s) on %(platform)s: %(text)s%(link)s")
N_("sharedwatch report (%(urgency)s): %(text)s%(link)s")


def _story_lines(story: Story | None, reader: Reader = ENGLISH) -> list[str]:
    if story is None or story.size <= 1:
        return []
    _ = reader.gettext
    if story.reports:
        line = _(
            "Story: %(size)s posts and reports so far, %(recent)s in the last 10 minutes, %(reports)s reported by "
            "employees.",
            size=story.size,
            recent=story.recent,
            reports=story.reports,
        )
    else:
        line = _(
            "Story: %(size)s posts and reports so far, %(recent)s in the last 10 minutes.",
            size=story.size,
            recent=story.recent,
        )
    lines = [line]
    if story.incident_id:
        incident = story.incident_id
        lines.append(
            _("Incident %(id)s opened by this one.", id=incident)
            if story.opened
            else _("Incident %(id)s.", id=incident)
        )
    return lines


DRILL_LINE = N_("DRILL: this is an exercise. Act as you would, and say so if you reply to anyone.")


def as_drill(n: Notification, reader: Reader = ENGLISH) -> Notification:
    """A notification about a drill's signal, marked so nobody takes it for the real thing."""
    return replace(
        n,
        subject=ascii_subject(reader.gettext("[DRILL] %(subject)s", subject=n.subject)),
        email=f"{reader.gettext(DRILL_LINE)}\n\n{n.email}",
        sms=_clip(reader.gettext("DRILL %(text)s", text=n.sms), SMS_LIMIT),
    )


def render(signal: Signal, route: Route, *, story: Story | None = None, reader: Reader = ENGLISH) -> Notification:
    """The notification about one signal for one group, in `reader`'s language."""
    if isinstance(signal, Mention):
        subject, email = _mention_email(signal, route.reasons, reader)
        item_id = signal.mention_id
    else:
        subject, email = _report_email(signal, route.reasons, reader)
        item_id = signal.report_id
    extra = _story_lines(story, reader)
    if extra:
        head, marker, tail = email.partition("\n" + reader.gettext("Why you are getting this:"))
        email = head + "\n" + "\n".join(extra) + marker + tail
    n = Notification(
        delivery_id=delivery_id_for(signal, route.group),
        group=route.group,
        subject=ascii_subject(subject),
        email=email,
        sms=_sms(signal, reader),
        reasons=route.reasons,
        item_kind=signal.kind,
        item_id=item_id,
        severity=severity_of(signal),
    )
    return as_drill(n, reader) if signal.drill else n


Translate = Callable[[Reader], Notification]


def language_versions(
    n: Notification, languages: Sequence[str], translate: Translate | None = None
) -> tuple[Notification, ...]:
    """A notification once per language a group reads (`languages`, the default first: see
    noise.message_languages), each marked with its language; the default's keeps the id. A
    language `translate` cannot render (None: a message not translated yet) gets the default's
    text, so every member still gets exactly one. No languages: the notification as it is."""
    if not languages:
        return (n,)
    versions = []
    for language in languages:
        text = n if language == DEFAULT or translate is None else translate(Reader.of(language))
        versions.append(
            replace(
                text,
                delivery_id=version_id(n.delivery_id, language),
                lang=language,
                covers=tuple(version_id(c, language) for c in n.covers),
            )
        )
    return tuple(versions)


def version_id(delivery_id: str, language: str) -> str:
    """The delivery id of a notification's version in one language (the default's is its own)."""
    return delivery_id if language == DEFAULT else delivery_key(f"{delivery_id}:{language}")


def render_in(signal: Signal, route: Route, story: Story | None, reader: Reader) -> Notification:
    """render() for a reader (what a plan hands the gate to make each language's version)."""
    return render(signal, route, story=story, reader=reader)


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
        delivery_id=delivery_key(f"bundle:{group}:{','.join(ids)}"),
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
        covers=tuple(delivery_id_for(s, route.group) for s, route in items),
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
        delivery_id=delivery_key(f"incident:{incident_id}:{group}:{tag}"),
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


def render_in_hand(
    facts: IncidentFacts, reader: Reader = ENGLISH, *, group: str, who: str, event: str, tag: str
) -> Notification:
    """To every group that was told about an incident: someone has it (acknowledged) or it is
    over (resolved); once per group and event, so they stop wondering. In `reader`'s language
    (the first notice's context is repeated as it was written)."""
    _ = reader.gettext
    title = _one_line(facts.title)
    if event == "acknowledged":
        subject = _("[sharedwatch] Is in hand: %(title)s", title=title)
        line = _("The incident you were told about is in hand: %(who)s acknowledged it.", who=who)
        sms = _("sharedwatch: is in hand (%(who)s): %(title)s", who=who, title=title)
    else:
        subject = _("[sharedwatch] Is resolved: %(title)s", title=title)
        line = _("The incident you were told about is resolved: %(who)s resolved it.", who=who)
        sms = _("sharedwatch: is resolved (%(who)s): %(title)s", who=who, title=title)
    summary = _("Incident: %(id)s, severity %(severity)s.", id=facts.incident_id, severity=_(facts.severity))
    return Notification(
        delivery_id=delivery_key(f"incident:{facts.incident_id}:{group}:{event}:{tag}"),
        group=group,
        subject=ascii_subject(subject),
        email="\n".join([line, "", facts.context.strip(), "", summary]),
        sms=_clip(sms, SMS_LIMIT),
        reasons=(f"you were told about incident {facts.incident_id}",),
        item_kind="incident",
        item_id=facts.incident_id,
        severity=facts.severity,
        incident_id=facts.incident_id,
    )


def spike_alarm_subject(what: str, key: str) -> str:
    return f"[sharedwatch] {what}: {key}"[:99]


def plan_role_subject(role: str, scenario: str) -> str:
    return f"[sharedwatch] You are {role} for {scenario}"


def plan_approval_subject(incident_id: str, lang: str) -> str:
    return f"[sharedwatch] Approve the holding statement for {incident_id} ({lang})"


def plan_overdue_subject(task: str) -> str:
    return f"[sharedwatch] Overdue: {task}"


def plan_update_subject(n: int, title: str, *, drill: bool) -> str:
    return f"[sharedwatch] {'DRILL: ' if drill else ''}Update {n}: {title}"[:99]


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
