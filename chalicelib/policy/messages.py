"""Render one notification per (signal, group): a full email variant, an SMS of at most 160
characters, and a JSON variant for queue subscribers (archives, the local outbox). Digests too:
`render_digest` (notifications held back and sent together) and `render_department_digest`
(a department's day or week).

Every `[sharedwatch]` subject is built here, but two: notify/delivery.hold_in_digest writes a
placeholder subject on a held digest's row (render_digest gives the one sent), and
flows/statements.py's all-staff brief (issue 32: to move here once that module's rework lands)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.clock import isoformat
from chalicelib.i18n import DEFAULT, ENGLISH, N_, Reader
from chalicelib.policy.rules import Route
from chalicelib.records import Mention, Notification, Report, Signal, delivery_key
from chalicelib.triage.severity import LEVELS

if TYPE_CHECKING:
    from chalicelib.policy.config import Department
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
        key = n.delivery_id if language == DEFAULT else delivery_key(f"{n.delivery_id}:{language}")
        versions.append(replace(text, delivery_id=key, lang=language))
    return tuple(versions)


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


def render_digest(group_name: str, lines: list[str], why: str, *, reader: Reader = ENGLISH) -> tuple[str, str, str]:
    """(subject, email, sms) for notifications held back (quiet hours, a maintenance window,
    the group's rate limit) and sent together when it ends, in `reader`'s language (the digest
    of one language's versions; `why` and the lines are as they were written)."""
    n = len(lines)
    values = {"group": group_name, "why": why}
    subject = ascii_subject(
        reader.ngettext(
            "[sharedwatch] Digest for %(group)s: %(num)s while held (%(why)s)",
            "[sharedwatch] Digest for %(group)s: %(num)s while held (%(why)s)",
            n,
            **values,
        )
    )
    head = reader.ngettext(
        "%(num)s notification for %(group)s held back: %(why)s.",
        "%(num)s notifications for %(group)s held back: %(why)s.",
        n,
        **values,
    )
    email = "\n".join([head, "", *lines])
    latest = lines[-1] if lines else ""
    sms = _clip(
        reader.ngettext(
            "sharedwatch digest for %(group)s: %(num)s held (%(why)s). Latest: %(latest)s",
            "sharedwatch digest for %(group)s: %(num)s held (%(why)s). Latest: %(latest)s",
            n,
            latest=latest,
            **values,
        ),
        SMS_LIMIT,
    )
    return subject, email, sms


@dataclass(frozen=True, slots=True)
class DigestTotals:
    """A department's counts over some days of the wall's day documents."""

    n: int = 0
    positive: int = 0
    negative: int = 0
    reports: int = 0

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.n if self.n else None


def digest_totals(docs: list[dict[str, Any]], slug: str) -> DigestTotals:
    depts = [d.get("departments", {}).get(slug, {}) for d in docs]
    return DigestTotals(
        n=sum(int(d.get("n", 0)) for d in depts),
        positive=sum(int(d.get("positive", 0)) for d in depts),
        negative=sum(int(d.get("negative", 0)) for d in depts),
        reports=sum(int(d.get("reports", 0)) for d in depts),
    )


def digest_trend(now: DigestTotals, before: DigestTotals) -> str:
    """The trend as the department page shows it after "Trend:" (English)."""
    if not before.n:
        return "no earlier period to compare with"
    change = (now.n - before.n) / before.n
    volume = f"{abs(change):.0%} {'more' if change >= 0 else 'fewer'} mentions than the period before"
    if now.negative_share is None or before.negative_share is None:
        return volume
    delta = now.negative_share - before.negative_share
    mood = "more negative" if delta > 0.05 else "less negative" if delta < -0.05 else "about as negative"
    return f"{volume}, {mood} ({now.negative_share:.0%} against {before.negative_share:.0%})"


def trend_line(now: DigestTotals, before: DigestTotals, *, reader: Reader = ENGLISH) -> str:
    """A digest's trend line, one sentence in the reader's language: the volume's change, and
    the negative share's when both periods have one."""
    _ = reader.gettext
    if not before.n:
        return _("Trend: no earlier period to compare with.")
    change = (now.n - before.n) / before.n
    values: dict[str, object] = {"change": _percent(abs(change), reader)}
    if now.negative_share is None or before.negative_share is None:
        if change >= 0:
            return _("Trend: %(change)s more mentions than the period before.", **values)
        return _("Trend: %(change)s fewer mentions than the period before.", **values)
    values.update(now=_percent(now.negative_share, reader), before=_percent(before.negative_share, reader))
    delta = now.negative_share - before.negative_share
    mood = "more" if delta > 0.05 else "less" if delta < -0.05 else "same"
    return _(_TRENDS[(change >= 0, mood)], **values)


_TRENDS = {
    (True, "more"): N_(
        "Trend: %(change)s more mentions than the period before, more negative (%(now)s against %(before)s)."
    ),
    (True, "less"): N_(
        "Trend: %(change)s more mentions than the period before, less negative (%(now)s against %(before)s)."
    ),
    (True, "same"): N_(
        "Trend: %(change)s more mentions than the period before, about as negative (%(now)s against %(before)s)."
    ),
    (False, "more"): N_(
        "Trend: %(change)s fewer mentions than the period before, more negative (%(now)s against %(before)s)."
    ),
    (False, "less"): N_(
        "Trend: %(change)s fewer mentions than the period before, less negative (%(now)s against %(before)s)."
    ),
    (False, "same"): N_(
        "Trend: %(change)s fewer mentions than the period before, about as negative (%(now)s against %(before)s)."
    ),
}


def _percent(share: float, reader: Reader) -> str:
    if reader.language == DEFAULT:
        return f"{share:.0%}"
    from babel.numbers import format_percent

    return str(format_percent(share, locale=reader.language))


def _digest_quote(item: dict[str, Any], reader: Reader = ENGLISH) -> str:
    who = f"@{item['author']}" if item.get("author") else reader.gettext("someone")
    link = f"\n      {item['url']}" if item.get("url") else ""
    platform = item.get("platform") or reader.gettext("social media")
    return (
        "  - "
        + reader.gettext("%(who)s on %(platform)s: %(text)s", who=who, platform=platform, text=item["text"])
        + link
    )


def render_department_digest(
    department: Department,
    period: Literal["daily", "weekly"],
    *,
    days: list[dict[str, Any]],
    before: list[dict[str, Any]],
    label: str,
    base_url: str,
    reader: Reader = ENGLISH,
) -> tuple[str, str]:
    """(subject, email) of a department's daily or weekly digest, from the wall's day documents
    of the period and of the period before (the trend), in `reader`'s language. Held
    notifications' digest: render_digest."""
    _ = reader.gettext
    totals, earlier = digest_totals(days, department.slug), digest_totals(before, department.slug)
    owned = [i for d in days for i in d.get("incidents", []) if i.get("owner_slug") == department.group]
    spotted = [s for d in days for s in d.get("spotted", []) if s.get("department") == department.slug]
    name = department.name
    if period == "daily":
        subject = _("[sharedwatch] %(name)s: your day on social media (%(label)s)", name=name, label=label)
    else:
        subject = _("[sharedwatch] %(name)s: your week on social media (%(label)s)", name=name, label=label)
    subject = ascii_subject(subject)
    if not totals.n and not totals.reports and not owned:
        if period == "daily":
            quiet = _(
                "A quiet day for %(name)s: nothing on social media mentioned you (%(label)s).", name=name, label=label
            )
        else:
            quiet = _(
                "A quiet week for %(name)s: nothing on social media mentioned you (%(label)s).", name=name, label=label
            )
        return subject, quiet
    best = sorted(
        (b for d in days for b in d.get("departments", {}).get(department.slug, {}).get("best", [])),
        key=lambda b: -b.get("rank", 0),
    )[:3]
    worst = sorted(
        (w for d in days for w in d.get("departments", {}).get(department.slug, {}).get("worst", [])),
        key=lambda w: w.get("rank", 0),
    )[:3]
    counts = {"name": name, "label": label, "positive": totals.positive, "negative": totals.negative}
    summary = (
        reader.ngettext(
            "%(name)s, %(label)s: %(num)s mention (%(positive)s praise, %(negative)s complaints) and %(reports)s "
            "employee reports.",
            "%(name)s, %(label)s: %(num)s mentions (%(positive)s praise, %(negative)s complaints) and %(reports)s "
            "employee reports.",
            totals.n,
            reports=totals.reports,
            **counts,
        )
        if totals.reports
        else reader.ngettext(
            "%(name)s, %(label)s: %(num)s mention (%(positive)s praise, %(negative)s complaints).",
            "%(name)s, %(label)s: %(num)s mentions (%(positive)s praise, %(negative)s complaints).",
            totals.n,
            **counts,
        )
    )
    lines = [summary, trend_line(totals, earlier, reader=reader), ""]
    if best:
        lines += [_("The pat on the back:"), *[_digest_quote(b, reader) for b in best], ""]
    if worst:
        lines += [_("What hurt most:"), *[_digest_quote(w, reader) for w in worst], ""]
    if owned:
        lines.append(_("Incidents you owned:"))
        for i in {i["id"]: i for i in owned}.values():
            values = {"title": i["title"], "severity": _(str(i["severity"]))}
            if i.get("status") == "resolved":
                at = str(i["resolved_at"])[:16].replace("T", " ")
                lines.append("  - " + _("%(title)s (%(severity)s): resolved %(when)s", when=at, **values))
            else:
                status = _(str(i.get("status")))
                lines.append("  - " + _("%(title)s (%(severity)s): still %(status)s", status=status, **values))
        lines.append("")
    if spotted:
        lines.append(_("Spotted first by your people:"))
        lines += [
            "  - " + _("%(minutes)s min before the listening tools: %(text)s", minutes=s["minutes"], text=s["text"])
            for s in spotted[:5]
        ]
        lines.append("")
    page = f"{base_url}/departments/{department.slug}"
    lines.append(_("Your department's page, with the whole week: %(url)s", url=page))
    return subject, "\n".join(lines).rstrip()


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
