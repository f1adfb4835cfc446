"""Department digests, daily and weekly, by SNS email to each department's group: how much was
said about them and whether that is more or less than the period before, the best praise (the
pat on the back) and the worst complaints with their links, the incidents they owned and how
they ended, and who spotted things first. A quiet period says so in one line."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.i18n import DEFAULT, Reader
from chalicelib.notify.delivery import deliver
from chalicelib.policy.config import Department, Group
from chalicelib.policy.digests import digest_totals, digest_trend, render_department_digest
from chalicelib.policy.noise import (
    DueDigest,
    digest_audiences,
    digests_due,
    message_languages,
    person_zone,
    recipient_zone,
)
from chalicelib.records import Notification, delivery_key
from chalicelib.settings import get_settings
from chalicelib.store import directory, wall
from chalicelib.store.config import load_routing

Period = Literal["daily", "weekly"]


def period_days(period: Period, now: datetime) -> tuple[list[datetime], list[datetime]]:
    """The days reported on (ending yesterday) and the same length before, for the trend."""
    length = 1 if period == "daily" else 7
    end = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = [end - timedelta(days=d) for d in range(length, 0, -1)]
    before = [end - timedelta(days=d) for d in range(2 * length, length, -1)]
    return days, before


def department_week(department: Department, *, now: datetime) -> dict[str, Any]:
    """A department's page: the last seven days against the seven before (what the weekly
    digest says), each day's counts for the trend, the best praise and worst complaints with
    their links, the kudos, the incidents it owned and how they ended, who spotted things first."""
    end = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    days = [end - timedelta(days=d) for d in range(7, 0, -1)]
    before = [end - timedelta(days=d) for d in range(14, 7, -1)]
    docs = wall.read_days([*days, *before])
    this = [docs.get(wall.day_key(d), {}) for d in days]
    earlier = [docs.get(wall.day_key(d), {}) for d in before]
    totals = digest_totals(this, department.slug)
    mine = [doc.get("departments", {}).get(department.slug, {}) for doc in this]
    owned = {i["id"]: i for doc in this for i in doc.get("incidents", []) if i.get("owner_slug") == department.group}
    return {
        "department": {"slug": department.slug, "name": department.name, "group": department.group},
        "totals": {
            "mentions": totals.n,
            "praise": totals.positive,
            "complaints": totals.negative,
            "reports": totals.reports,
        },
        "trend": digest_trend(totals, digest_totals(earlier, department.slug)),
        "days": [
            {
                "day": f"{d:%Y-%m-%d}",
                "mentions": int(m.get("n", 0)),
                "praise": int(m.get("positive", 0)),
                "complaints": int(m.get("negative", 0)),
            }
            for d, m in zip(days, mine, strict=True)
        ],
        "best": sorted((b for m in mine for b in m.get("best", [])), key=lambda b: -b.get("rank", 0))[:5],
        "worst": sorted((w for m in mine for w in m.get("worst", [])), key=lambda w: w.get("rank", 0))[:5],
        "incidents": list(owned.values()),
        "spotted": [s for doc in this for s in doc.get("spotted", []) if s.get("department") == department.slug][:10],
    }


def _recipients(department: Department, group: Group) -> dict[str, tuple[str, ...]]:
    """Zone -> audience values for this department's digest (see noise.digest_audiences): the
    members' zones the group keeps, the fed people's own (the directory's), the followers'."""
    fallback = recipient_zone(group.zone, get_settings().zone)
    fed = list(directory.fed(group.slug))
    fed_zones = [person_zone(p.doc, fallback) for p in directory.people_at(fed).values()] if fed else []
    return digest_audiences(
        department.slug,
        member_zones=sorted({*group.zones, *fed_zones}),
        follower_zones=sorted(set(directory.follower_zones(department.slug).values())),
        fallback=fallback,
    )


def send_digests(period: Period, *, now: datetime) -> dict[str, str]:
    """Each department's digest to its group's members and followers at 08:00 in each one's
    zone: called every quarter of an hour, it sends to the zones where it is that hour now,
    once per zone and local day (the delivery log). "<department>@<zone>" -> the outcome."""
    config = load_routing()
    due: list[tuple[Department, DueDigest, tuple[str, ...]]] = []
    for department in sorted(config.departments.values(), key=lambda d: d.slug):
        group = config.groups.get(department.group)
        if group is None:
            continue
        audiences = _recipients(department, group)
        for when in digests_due(list(audiences), now=now, period=period):
            due.append((department, when, audiences[when.zone]))
    if not due:
        return {}
    # The wall's ledgers are UTC days: a digest reports the last whole ones, wherever it is read.
    days, before = period_days(period, now)
    docs = wall.read_days([*days, *before])
    in_period = [docs.get(wall.day_key(d), {}) for d in days]
    earlier = [docs.get(wall.day_key(d), {}) for d in before]
    label = f"{days[0]:%Y-%m-%d}" if period == "daily" else f"{days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}"
    outcomes: dict[str, str] = {}
    rendered: dict[tuple[str, str], tuple[str, str]] = {}
    base_url = get_settings().public_base_url
    for department, when, audience in due:
        group = config.groups[department.group]
        # One message per language the group's members read (each member's filter takes theirs).
        for language in message_languages(group.languages) or ("",):
            if (department.slug, language) not in rendered:
                rendered[(department.slug, language)] = render_department_digest(
                    department,
                    period,
                    days=in_period,
                    before=earlier,
                    label=label,
                    base_url=base_url,
                    reader=Reader.of(language),
                )
            subject, email = rendered[(department.slug, language)]
            key = f"digest:{period}:{department.slug}:{when.key}" + (
                f":{language}" if language not in ("", DEFAULT) else ""
            )
            notification = Notification(
                delivery_id=delivery_key(key),
                group=department.group,
                subject=subject,
                email=email,
                sms=email.splitlines()[0][:160],
                reasons=(f"{period} digest for {department.name}, 08:00 in {when.zone}",),
                item_kind="digest",
                item_id=f"{period}:{department.slug}:{label}:{when.zone}",
                lang=language,
            )
            outcome = deliver(
                notification, topic_arn=get_settings().group_topic_arn(department.group), audience=audience
            )
            if language in ("", DEFAULT):
                outcomes[f"{department.slug}@{when.zone}"] = outcome
    return outcomes
