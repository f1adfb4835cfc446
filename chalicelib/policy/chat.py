"""Chat as a channel of a stakeholder group, decided purely: which cards a batch posts, what a
card says (Slack Block Kit, a Teams Adaptive Card), what a threaded update says, which button
was pressed. Every title, note and name on a card is attacker-controlled text: it is escaped
for the platform and cut, and ids go only into fields the platforms do not render."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.policy.config import RoutingConfig
from chalicelib.records import delivery_key

Platform = Literal["slack", "teams", "teams-webhook"]
PLATFORMS: tuple[Platform, ...] = ("slack", "teams", "teams-webhook")
Action = Literal["acknowledge", "resolve", "mine", "not-ours", "false-alarm"]
ACTIONS: dict[Action, str] = {
    "acknowledge": "Acknowledge",
    "resolve": "Resolve",
    "mine": "Mine",
    "not-ours": "Not ours",
    "false-alarm": "False alarm",
}


def buttons_for(status: str) -> list[tuple[Action, str]]:
    """Acknowledge while open, Resolve once acknowledged, none once resolved."""
    if status == "resolved":
        return []
    skip = "resolve" if status == "open" else "acknowledge"
    return [(a, label) for a, label in ACTIONS.items() if a != skip]


ACTION_PREFIX = "sw:"  # Slack action_id "sw:acknowledge"; Teams verb "acknowledge"
TEXT_CAP = 300


@dataclass(frozen=True, slots=True)
class ChatStep:
    """Post an incident's card to one chat channel of one group (the router plans these)."""

    platform: Platform
    where: str  # "T0123/C0123" for Slack, a conversation id for Teams, a URL for a webhook
    incident_id: str
    group: str

    @property
    def card_id(self) -> str:
        return card_delivery_id(self.incident_id, self.platform, self.where)


def card_delivery_id(incident_id: str, platform: str, where: str) -> str:
    """The card's delivery row: one card per incident and channel, however often it is planned."""
    return delivery_key(f"chat-card:{incident_id}:{platform}:{where}")


def update_delivery_id(incident_id: str, platform: str, where: str, event: str) -> str:
    """One update in place (and one threaded line) per incident, channel and event."""
    return delivery_key(f"chat-update:{incident_id}:{platform}:{where}:{event}")


def chat_steps(told: Mapping[str, Iterable[str]], config: RoutingConfig) -> list[ChatStep]:
    """A card for each chat channel of each group an incident's notice goes to (incident id ->
    groups); the card's delivery id makes a second plan of the same card a no-op."""
    steps: list[ChatStep] = []
    seen: set[str] = set()
    for incident_id, groups in sorted(told.items()):
        for slug in sorted(set(groups)):
            group = config.groups.get(slug)
            for platform, where in group.chats if group else ():
                step = ChatStep(platform, where, incident_id, slug)  # type: ignore[arg-type]
                if step.card_id not in seen:
                    seen.add(step.card_id)
                    steps.append(step)
    return steps


def chats_of(groups: list[str], config: RoutingConfig) -> list[tuple[Platform, str]]:
    """Every chat channel of these groups, once each."""
    found: dict[tuple[str, str], None] = {}
    for slug in groups:
        group = config.groups.get(slug)
        for chat in group.chats if group else ():
            found[chat] = None
    return [(p, w) for p, w in found]  # type: ignore[misc]


# -- what a card says ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardFacts:
    incident_id: str
    title: str
    severity: str
    status: str  # open | acknowledged | resolved
    owner: str  # the owning group's name
    url: str  # the incident's page in the console
    size: int = 0  # the story's numbers
    reports: int = 0
    reach: int = 0
    negative: int = 0
    next_task: str = ""  # the crisis plan's next open task, if a plan took hold
    acknowledged_by: str = ""
    acknowledged_via: str = ""
    resolved_by: str = ""
    resolution: str = ""
    remarks: tuple[str, ...] = ()  # "Not ours (Social team)", "Taken by ..."


def _cut(text: str, cap: int = TEXT_CAP) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= cap else flat[: cap - 1] + "…"


def slack_escape(text: str, cap: int = TEXT_CAP) -> str:
    """Slack's three control characters; a <!channel> or <http://x|y> in a title stays text."""
    return _cut(text, cap).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(text: str, cap: int = 3000) -> str:
    """Longer Slack text with its lines kept, escaped the same way."""
    return str(text)[:cap].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MARKDOWN = re.compile(r"([\\`*_\[\]<>#~|])")  # emphasis, links, headings, HTML-ish, tables


def teams_escape(text: str, cap: int = TEXT_CAP) -> str:
    """Adaptive Card TextBlocks render a subset of Markdown: escape it so a title cannot make a
    link or a heading."""
    return _MARKDOWN.sub(r"\\\1", _cut(text, cap))


def state_line(f: CardFacts) -> str:
    if f.status == "resolved":
        how = f" ({f.resolution})" if f.resolution else ""
        return f"Resolved by {f.resolved_by}{how}"
    if f.status == "acknowledged":
        via = f" via {f.acknowledged_via}" if f.acknowledged_via else ""
        return f"Acknowledged by {f.acknowledged_by}{via}"
    return "Open: nobody has acknowledged it yet"


def _numbers(f: CardFacts) -> str:
    return f"{f.size} posts · {f.reports} employee reports · {f.negative} negative · reach {f.reach}"


def slack_card(f: CardFacts) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, Block Kit blocks). Buttons only while the incident is not resolved."""
    text = f"[{f.severity}] {slack_escape(f.title, 150)}: {slack_escape(state_line(f), 200)}"
    fields = [
        {"type": "mrkdwn", "text": f"*Severity*\n{slack_escape(f.severity, 20)}"},
        {"type": "mrkdwn", "text": f"*Owner*\n{slack_escape(f.owner, 80)}"},
        {"type": "mrkdwn", "text": f"*Story*\n{_numbers(f)}"},
        {"type": "mrkdwn", "text": f"*State*\n{slack_escape(state_line(f), 200)}"},
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(f"Incident: {f.title}", 150)}},
        {"type": "section", "fields": fields},
    ]
    if f.next_task:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Next task*: {slack_escape(f.next_task)}"}}
        )
    for remark in f.remarks[-3:]:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(remark)}]})
    if f.status != "resolved":
        blocks.append(
            {
                "type": "actions",
                "block_id": "sw-incident",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ACTION_PREFIX + action,
                        "text": {"type": "plain_text", "text": label},
                        "value": f.incident_id,
                        **({"style": "primary"} if action == "acknowledge" else {}),
                    }
                    for action, label in buttons_for(f.status)
                ],
            }
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{f.url}|Open in sharedwatch>"}]})
    return text, blocks


def teams_card(f: CardFacts, *, buttons: bool = True) -> dict[str, Any]:
    """An Adaptive Card 1.4: Action.Execute buttons (Universal Actions) and a refresh, so each
    viewer's card asks the bot for the current state."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
            "text": teams_escape(f"Incident: {f.title}", 150),
        },
        {
            "type": "FactSet",
            "facts": [
                {"title": "Severity", "value": teams_escape(f.severity, 20)},
                {"title": "Owner", "value": teams_escape(f.owner, 80)},
                {"title": "Story", "value": _numbers(f)},
                {"title": "State", "value": teams_escape(state_line(f), 200)},
            ],
        },
    ]
    if f.next_task:
        body.append({"type": "TextBlock", "wrap": True, "text": "Next task: " + teams_escape(f.next_task)})
    body += [{"type": "TextBlock", "wrap": True, "isSubtle": True, "text": teams_escape(r)} for r in f.remarks[-3:]]
    actions: list[dict[str, Any]] = []
    if buttons and f.status != "resolved":
        actions = [
            {"type": "Action.Execute", "title": label, "verb": action, "data": {"incident": f.incident_id}}
            for action, label in buttons_for(f.status)
        ]
    actions.append({"type": "Action.OpenUrl", "title": "Open in sharedwatch", "url": f.url})
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }
    if buttons:
        card["refresh"] = {"action": {"type": "Action.Execute", "verb": "refresh", "data": {"incident": f.incident_id}}}
    return card


def thread_line(event: str, f: CardFacts) -> str:
    """The line threaded under the card when the incident changes."""
    if event.startswith("remark:"):
        return f.remarks[-1] if f.remarks else ""
    return state_line(f)


# -- what was pressed ---------------------------------------------------------------------------


def parse_action(name: str) -> Action | None:
    bare = name.removeprefix(ACTION_PREFIX)
    for action in ACTIONS:
        if bare == action:
            return action
    return None


# A watchfulness exercise's post in a department's channels (docs/training.md) -------------------


def exercise_post(*, post: str, url: str, department: str) -> dict[str, Any]:
    """The exercise post as a channel message: marked DRILL · practice, with its "Report it" link
    (the report form, pre-filled, carrying the drill's signed mark). Slack text and a Teams card."""
    head = f"DRILL · practice for {_cut(department, 80)}: would you report this?"
    note = "A practice, not a real post: report it as you would a real one. It never counts as real."
    text = f"*{slack_escape(head, 200)}*\n>{slack_text(post, 600)}\n<{url}|Report it> · _{note}_"
    card = {
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": head, "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": _cut(post, 600), "wrap": True},
            {"type": "TextBlock", "text": note, "isSubtle": True, "wrap": True},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Report it", "url": url}],
    }
    return {"text": text, "card": card}


def exercise_closed(*, department: str) -> dict[str, Any]:
    """What the post becomes when the drill ends (edited in place where the platform allows; a
    message of its own in a Workflows channel): ended, the link gone."""
    line = f"DRILL ended: the watchfulness practice for {_cut(department, 80)} is over. Thank you for taking part."
    card = {
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": line, "weight": "Bolder", "wrap": True}],
    }
    return {"text": f"_{slack_escape(line, 300)}_", "card": card}
