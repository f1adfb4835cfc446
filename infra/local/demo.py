"""Demo configuration for the local stack: departments' stakeholder groups, routing rules and
the default route. Loaded through the same functions the admin API will use."""

from __future__ import annotations

from typing import Any

from chalicelib.notify.topics import ensure_group_topic
from chalicelib.policy.config import Department, Group
from chalicelib.scenarios import shipped
from chalicelib.store.config import (
    save_default_route,
    save_department,
    save_group,
    save_policy,
    save_rule,
    save_scenario,
)

GROUPS = (
    Group("social-team", "Social team", "Owns the brand's social presence; hears about everything by default."),
    Group("customer-care", "Customer care", "Complaints about service, refunds, lost bags."),
    Group("operations", "Operations", "Delays, cancellations, staff on the ground."),
    Group("crisis-team", "Crisis team", "Urgent reports and anything that could become a story."),
    Group("executives", "Executives", "Told when something is critical.", quiet_hours="22:00-07:00"),
    Group("legal", "Legal", "Lawsuits, injuries, discrimination: anything with a legal edge."),
    Group("on-call", "On call", "Whoever holds the pager tonight: critical incidents, any hour."),
    Group("all-staff", "All staff", "Every employee: the crisis plan's approved all-staff briefs."),
)

# Not acknowledged in 15 minutes: the crisis team; in an hour: the executives. Reminded every
# four hours until resolved. Reach doubling or a watched account joining goes to the
# executives at once; a story that turns three-quarters negative brings in legal.
POLICIES: tuple[dict[str, Any], ...] = (
    {
        "id": "default",
        "name": "Standard escalation",
        "levels": [{"after_minutes": 15, "notify": ["crisis-team"]}, {"after_minutes": 60, "notify": ["executives"]}],
        "remind_after_hours": 4,
        "jumps": {
            "reach_factor": 2,
            "reach": ["executives"],
            "influencer": ["executives"],
            "negative_share": 0.75,
            "negative": ["legal"],
        },
    },
)

DEPARTMENTS = (
    Department("customer-care", "Customer care", "customer-care"),
    Department("operations", "Operations", "operations"),
    Department("baggage", "Baggage", "customer-care"),
    Department("inflight", "Inflight and cabin crew", "operations"),
    Department("airport", "Airport and ground staff", "operations"),
    Department("digital", "Website, app and bookings", "social-team"),
    Department("marketing", "Marketing and brand", "social-team"),
)

RULES: tuple[dict[str, Any], ...] = (
    {
        "id": "every-mention",
        "name": "Every mention reaches the social team",
        "order": 10,
        "when": {"kind": "mention"},
        "notify": ["social-team"],
    },
    {
        "id": "delays-to-operations",
        "name": "Delays and cancellations go to operations",
        "order": 20,
        "when": {"keywords": ["delay", "delayed", "cancelled", "canceled", "cancellation", "stranded"]},
        "notify": ["operations"],
    },
    {
        "id": "complaints-to-customer-care",
        "name": "Complaints about service, bags and bookings reach customer care",
        "order": 22,
        "when": {"sentiment": "negative", "department": ["customer-care", "baggage", "digital"]},
        "notify": ["customer-care"],
    },
    {
        "id": "kudos-to-the-team",
        "name": "Praise goes to the team that earned it",
        "order": 24,
        "when": {"kudos": True, "department": ["inflight", "airport", "operations"]},
        "notify": ["operations"],
    },
    {
        "id": "high-severity-to-crisis",
        "name": "High and critical mentions reach the crisis team",
        "order": 26,
        "when": {"kind": "mention", "severity_at_least": "high"},
        "notify": ["crisis-team"],
    },
    {
        "id": "critical-to-executives",
        "name": "Critical mentions reach the executives",
        "order": 28,
        "when": {"kind": "mention", "severity_at_least": "critical"},
        "notify": ["executives", "on-call"],
    },
    {
        "id": "spikes-to-crisis",
        "name": "Spikes in volume or negativity reach the crisis team",
        "order": 29,
        "when": {"spike": True},
        "notify": ["crisis-team"],
    },
    {
        "id": "urgent-reports",
        "name": "Urgent employee reports reach the crisis team",
        "order": 30,
        "when": {"kind": "report", "urgency": "urgent"},
        "notify": ["crisis-team", "social-team"],
    },
    {
        "id": "reports-to-social",
        "name": "Employee reports reach the social team",
        "order": 40,
        "when": {"kind": "report"},
        "notify": ["social-team"],
    },
)


def seed() -> None:
    for group in GROUPS:
        save_group(group)
        ensure_group_topic(group.slug)
    for policy in POLICIES:
        save_policy(dict(policy))
    for department in DEPARTMENTS:
        save_department(department)
    for rule in RULES:
        save_rule(dict(rule))
    save_default_route(["social-team"])
    for key, shipped_scenario in shipped().items():
        save_scenario(key, shipped_scenario)
