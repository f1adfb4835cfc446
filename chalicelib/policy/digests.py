"""Digests' words: notifications held back and sent together (`render_digest`), and a
department's day or week (`render_department_digest`, with its totals and trend). Pure; the
digests are gathered and sent in flows/digests.py and notify/delivery.py. The other
notifications' words are in policy/messages.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.i18n import DEFAULT, ENGLISH, N_, Reader
from chalicelib.policy.messages import SMS_LIMIT, _clip, ascii_subject

if TYPE_CHECKING:
    from chalicelib.policy.config import Department


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
