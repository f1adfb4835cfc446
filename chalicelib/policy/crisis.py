"""The crisis plan's state as typed, frozen records: the plan an incident's scenario set in
motion, its tasks, stakeholder updates, holding statements (revisions, approvals, approved
versions), what was published and the review's action items.

The store keeps a plan as one JSON document (`PlanModel.doc`); `PlanState.from_item` and
`PlanState.to_item` are the only places that know its keys, so the decisions
(`policy/crisis_run.py`) and the flows read fields, never `doc[...]`. `to_item(from_item(d))`
is `d` for every document the plan writes, so plans stored before these records read the same.
Times are timezone-aware UTC in the records and ISO 8601 strings in the document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.policy.scenarios import Scenario, parse_scenario, scenario_document

# The stored document's shape, at this edge only: JSON read from and written to DynamoDB.
Item = Mapping[str, Any]
Doc = dict[str, Any]

OPEN, DONE = "open", "done"
DRAFT, APPROVED, PUBLISHED = "draft", "approved", "published"
KEPT = 20  # revisions and approved versions a statement keeps
JOINED_KEPT = 50


def _at(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


@dataclass(frozen=True, slots=True)
class PlanTask:
    """A checklist task: who owns it (and their backup), when it is due, how far reminding went
    (0: nobody yet, 1: the owner, 2: the backup) and, once done, by whom and how."""

    id: str
    task: str
    role: str
    owner: str
    backup: str
    due_at: datetime
    status: str = OPEN
    reminded: int = 0
    done_by: str = ""
    done_at: datetime | None = None
    via: str = ""

    @classmethod
    def from_item(cls, item: Item) -> PlanTask:
        return cls(
            id=str(item["id"]),
            task=str(item["task"]),
            role=str(item["role"]),
            owner=str(item["owner"]),
            backup=str(item.get("backup") or ""),
            due_at=datetime.fromisoformat(item["due_at"]),
            status=str(item.get("status", OPEN)),
            reminded=int(item.get("reminded", 0)),
            done_by=str(item.get("done_by") or ""),
            done_at=_at(item.get("done_at")),
            via=str(item.get("via") or ""),
        )

    def to_item(self) -> Doc:
        item: Doc = {
            "id": self.id,
            "task": self.task,
            "role": self.role,
            "owner": self.owner,
            "backup": self.backup,
            "due_at": self.due_at.isoformat(),
            "status": self.status,
            "reminded": self.reminded,
        }
        if self.done_at:
            item |= {"done_by": self.done_by, "done_at": self.done_at.isoformat(), "via": self.via}
        return item


@dataclass(frozen=True, slots=True)
class Approval:
    by: str
    via: str
    at: datetime

    @classmethod
    def from_item(cls, item: Item) -> Approval:
        return cls(by=str(item["by"]), via=str(item.get("via", "")), at=datetime.fromisoformat(item["at"]))

    def to_item(self) -> Doc:
        return {"by": self.by, "via": self.via, "at": self.at.isoformat()}


def _approvals(items: Item) -> dict[str, Approval]:
    return {str(role): Approval.from_item(a) for role, a in items.items()}


@dataclass(frozen=True, slots=True)
class Revision:
    """One revision of a statement's text, and who wrote it."""

    revision: int
    text: str
    by: str
    at: datetime

    @classmethod
    def from_item(cls, item: Item) -> Revision:
        return cls(int(item["revision"]), str(item["text"]), str(item["by"]), datetime.fromisoformat(item["at"]))

    def to_item(self) -> Doc:
        return {"revision": self.revision, "text": self.text, "by": self.by, "at": self.at.isoformat()}


@dataclass(frozen=True, slots=True)
class ApprovedVersion:
    """A revision every approving role approved, frozen with their approvals."""

    revision: int
    text: str
    at: datetime
    approvals: Mapping[str, Approval]

    @classmethod
    def from_item(cls, item: Item) -> ApprovedVersion:
        return cls(
            revision=int(item["revision"]),
            text=str(item["text"]),
            at=datetime.fromisoformat(item["at"]),
            approvals=_approvals(item.get("approvals", {})),
        )

    def to_item(self) -> Doc:
        return {
            "revision": self.revision,
            "text": self.text,
            "at": self.at.isoformat(),
            "approvals": {r: a.to_item() for r, a in self.approvals.items()},
        }


@dataclass(frozen=True, slots=True)
class Statement:
    """A holding statement in one language: its current text and revision, the approvals of
    that revision, its state (draft, approved, published), its history and approved versions."""

    text: str
    revision: int = 1
    state: str = DRAFT
    approvals: Mapping[str, Approval] = field(default_factory=dict)
    history: tuple[Revision, ...] = ()
    approved: tuple[ApprovedVersion, ...] = ()

    @classmethod
    def from_item(cls, item: Item) -> Statement:
        return cls(
            text=str(item["text"]),
            revision=int(item["revision"]),
            state=str(item["state"]),
            approvals=_approvals(item.get("approvals", {})),
            history=tuple(Revision.from_item(h) for h in item.get("history", [])),
            approved=tuple(ApprovedVersion.from_item(a) for a in item.get("approved", [])),
        )

    def to_item(self) -> Doc:
        return {
            "text": self.text,
            "revision": self.revision,
            "approvals": {r: a.to_item() for r, a in self.approvals.items()},
            "state": self.state,
            "history": [h.to_item() for h in self.history],
            "approved": [a.to_item() for a in self.approved],
        }


@dataclass(frozen=True, slots=True)
class UpdateState:
    """A stakeholder's updates so far: when the last went out and how many have."""

    last: datetime | None = None
    count: int = 0

    @classmethod
    def from_item(cls, item: Item) -> UpdateState:
        return cls(last=_at(item.get("last")), count=int(item.get("count", 0)))

    def to_item(self) -> Doc:
        return {"last": _iso(self.last), "count": self.count}


@dataclass(frozen=True, slots=True)
class Published:
    lang: str
    revision: int
    text: str
    at: datetime

    @classmethod
    def from_item(cls, item: Item) -> Published:
        return cls(str(item["lang"]), int(item["revision"]), str(item["text"]), datetime.fromisoformat(item["at"]))

    def to_item(self) -> Doc:
        return {"lang": self.lang, "revision": self.revision, "text": self.text, "at": self.at.isoformat()}


@dataclass(frozen=True, slots=True)
class ActionItem:
    """A review's action item, tracked on the plan until done. `due` is a date (YYYY-MM-DD) or ""."""

    id: str
    text: str
    owner: str
    due: str
    by: str
    at: datetime
    status: str = OPEN
    done_by: str = ""
    done_at: datetime | None = None

    @classmethod
    def from_item(cls, item: Item) -> ActionItem:
        return cls(
            id=str(item["id"]),
            text=str(item["text"]),
            owner=str(item["owner"]),
            due=str(item.get("due") or ""),
            by=str(item.get("by") or ""),
            at=datetime.fromisoformat(item["at"]),
            status=str(item.get("status", OPEN)),
            done_by=str(item.get("done_by") or ""),
            done_at=_at(item.get("done_at")),
        )

    def to_item(self) -> Doc:
        item: Doc = {
            "id": self.id,
            "text": self.text,
            "owner": self.owner,
            "due": self.due,
            "status": self.status,
            "by": self.by,
            "at": self.at.isoformat(),
        }
        if self.done_at:
            item |= {"done_by": self.done_by, "done_at": self.done_at.isoformat()}
        return item


@dataclass(frozen=True, slots=True)
class PlanState:
    """An incident's crisis plan: the scenario as it was when the plan took hold (its version
    is kept), the incident's facts then, and everything the plan has done since. A drill's plan
    carries the drill's id and pace (60: a minute of the plan passes in a second)."""

    incident_id: str
    scenario: Scenario
    title: str
    severity: str
    opened_at: datetime
    started_at: datetime
    lang: str
    reasons: tuple[str, ...] = ()
    tasks: tuple[PlanTask, ...] = ()
    updates: Mapping[str, UpdateState] = field(default_factory=dict)  # stakeholder key -> its updates
    statements: Mapping[str, Statement] = field(default_factory=dict)  # language -> statement
    actions: tuple[ActionItem, ...] = ()
    published: tuple[Published, ...] = ()
    pace: float = 1.0
    drill: str = ""
    joined: tuple[str, ...] = ()  # other incidents about the same crisis
    closed_at: datetime | None = None
    closed_because: str = ""
    # The regions it was assigned, the leading first (policy/regions.plan_regions: slug, name,
    # languages): enough to publish their dark-site pages.
    regions: tuple[Mapping[str, object], ...] = ()

    @classmethod
    def from_item(cls, item: Item, *, scenario_key: str = "") -> PlanState:
        scenario = item["scenario"]
        return cls(
            incident_id=str(item["incident_id"]),
            scenario=parse_scenario(scenario, key=str(scenario.get("id") or scenario_key)),
            title=str(item.get("title", "")),
            severity=str(item.get("severity", "")),
            opened_at=datetime.fromisoformat(item["opened_at"]),
            started_at=datetime.fromisoformat(item.get("started_at") or item["opened_at"]),
            lang=str(item.get("lang", "en")),
            reasons=tuple(str(r) for r in item.get("reasons", [])),
            tasks=tuple(PlanTask.from_item(t) for t in item.get("tasks", [])),
            updates={str(k): UpdateState.from_item(v) for k, v in item.get("updates", {}).items()},
            statements={str(k): Statement.from_item(v) for k, v in item.get("statements", {}).items()},
            actions=tuple(ActionItem.from_item(a) for a in item.get("actions", [])),
            published=tuple(Published.from_item(p) for p in item.get("published", [])),
            pace=float(item.get("pace", 1) or 1),
            drill=str(item.get("drill") or ""),
            joined=tuple(str(j) for j in item.get("joined", [])),
            closed_at=_at(item.get("closed_at")),
            closed_because=str(item.get("closed_because") or ""),
            regions=tuple(dict(r) for r in item.get("regions", [])),
        )

    def to_item(self) -> Doc:
        item: Doc = {
            "incident_id": self.incident_id,
            "scenario": scenario_document(self.scenario),
            "reasons": list(self.reasons),
            "title": self.title,
            "severity": self.severity,
            "opened_at": self.opened_at.isoformat(),
            "started_at": self.started_at.isoformat(),
            "lang": self.lang,
            "tasks": [t.to_item() for t in self.tasks],
            "updates": {k: u.to_item() for k, u in self.updates.items()},
            "statements": {k: s.to_item() for k, s in self.statements.items()},
            "actions": [a.to_item() for a in self.actions],
            "published": [p.to_item() for p in self.published],
            "pace": self.pace,
            "drill": self.drill,
        }
        if self.joined:
            item["joined"] = list(self.joined)
        if self.closed_at:
            item["closed_at"] = self.closed_at.isoformat()
        if self.closed_because:
            item["closed_because"] = self.closed_because
        if self.regions:
            item["regions"] = [dict(r) for r in self.regions]
        return item

    def task(self, task_id: str) -> PlanTask | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def roles_of(self, email: str) -> list[str]:
        """The approving roles a person holds in this plan (as its holder or its backup)."""
        roles, who = self.scenario.roles, email.lower()
        return [r for r in self.scenario.approvals if who and who in (roles[r].person, roles[r].backup)]
