"""PynamoDB models. Key schemas, GSIs, TTL and streams are declared here and nowhere else:
the local stack and infra/ both create tables from `TABLES`."""

from __future__ import annotations

import zlib
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection.base import Connection
from pynamodb.constants import BINARY
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib import deadline
from chalicelib.settings import get_settings

_settings = get_settings()


class _Meta:
    region = _settings.region
    billing_mode = "PAY_PER_REQUEST"
    # PynamoDB retries throttles itself on top of botocore's own retries.
    max_retry_attempts = 4
    base_backoff_ms = 50
    # As chalicelib/aws.py: an attempt started within a request's budget ends inside API Gateway's.
    connect_timeout_seconds = 2
    read_timeout_seconds = 5


_pynamodb_before_send = Connection._before_send


def _within_budget(self: Connection, request: Any, **kwargs: Any) -> None:
    """PynamoDB creates its botocore clients itself: its per-attempt hook checks the budget too."""
    deadline.check()
    _pynamodb_before_send(self, request, **kwargs)


Connection._before_send = _within_budget  # type: ignore[method-assign]


class CompressedTextAttribute(Attribute[str]):
    """Text stored zlib-compressed (binary): each KB an item holds is a write unit on every write
    and on every index that projects it, and a notification's text repeats itself."""

    attr_type = BINARY

    def serialize(self, value: str) -> bytes:
        return zlib.compress(value.encode(), 6)

    def deserialize(self, value: bytes) -> str:
        return zlib.decompress(value).decode()


# What an inbox row shows, copied into the index so a page of results is one Query.
INBOX_FIELDS = (
    "text",
    "source",
    "platform",
    "url",
    "author_handle",
    "author_followers",
    "published_at",
    "sentiment_label",
    "departments",
    "severity",
    "kudos",
    "lang",
    "brand",
    "terms",
)


class InboxIndex(GlobalSecondaryIndex["MentionModel"]):
    """The inbox and its search: one partition per day of arrival, newest first inside it; each
    row carries the mention's search terms (policy/search.py), filtered on server-side."""

    class Meta:
        index_name = "inbox"
        projection = IncludeProjection(list(INBOX_FIELDS))

    inbox_day = UnicodeAttribute(hash_key=True)  # "2026-11-30"
    inbox_key = UnicodeAttribute(range_key=True)  # "<received ISO>|<mention id>"


class MentionModel(Model):
    class Meta(_Meta):
        table_name = _settings.table_name("mentions")
        stream_view_type = "NEW_IMAGE"

    mention_id = UnicodeAttribute(hash_key=True)
    identity = UnicodeAttribute()
    source = UnicodeAttribute()
    sources = UnicodeSetAttribute(default=set)  # every source that delivered this post
    platform = UnicodeAttribute(default="")
    external_id = UnicodeAttribute(default="")
    url = UnicodeAttribute(default="")
    text = UnicodeAttribute()
    author_handle = UnicodeAttribute(default="")
    author_name = UnicodeAttribute(default="")
    author_followers = NumberAttribute(default=0)
    author_verified = BooleanAttribute(default=False)
    published_at = UTCDateTimeAttribute()
    received_at = UTCDateTimeAttribute()
    lang = UnicodeAttribute(default="")
    brand = UnicodeAttribute(default="")
    region = UnicodeAttribute(default="")
    engagement = JSONAttribute(default=dict)
    delivery_id = UnicodeAttribute(default="")
    raw = UnicodeAttribute(null=True)  # the payload as text, as written before "rawz"
    # The payload zlib-compressed against the mention's own fields (store/mapping.py): a post's
    # payload repeats its text and ids, and the item then stays under the 1 KB of one write unit.
    rawz = BinaryAttribute(null=True, legacy_encoding=False)
    needs_enrichment = BooleanAttribute(default=False)
    sentiment_label = UnicodeAttribute(default="")
    sentiment_score = NumberAttribute(default=0)
    departments = ListAttribute(of=UnicodeAttribute, default=list)
    risk_terms = ListAttribute(of=UnicodeAttribute, default=list)
    severity = UnicodeAttribute(default="")
    severity_reasons = ListAttribute(of=UnicodeAttribute, default=list)
    kudos = BooleanAttribute(default=False)
    complaint = BooleanAttribute(default=False)
    cluster_key = UnicodeAttribute(default="")
    drill = UnicodeAttribute(null=True)  # the drill that sent it
    # The inbox (sparse: mentions stored before it existed are not in it).
    inbox_day = UnicodeAttribute(null=True)
    inbox_key = UnicodeAttribute(null=True)
    terms = UnicodeAttribute(null=True)
    inbox = InboxIndex()
    # People's corrections of the triage (who, when, why, the field, before and after), oldest first.
    corrections = JSONAttribute(null=True)


class ReportClusterIndex(GlobalSecondaryIndex["ReportModel"]):
    """The reports of a story, to tell their reporters what became of it (sparse: the router
    sets cluster_id)."""

    class Meta:
        index_name = "cluster"
        projection = AllProjection()

    cluster_id = UnicodeAttribute(hash_key=True)
    received_at = UTCDateTimeAttribute(range_key=True)


class PendingDeliveryIndex(GlobalSecondaryIndex["DeliveryModel"]):
    """Sparse: only deliveries with something left to do carry `pending` ("claimed": publish
    failed or never happened; "held": waiting for a grace period, quiet hours, a maintenance
    window or the group's rate limit), ordered by when they become due."""

    class Meta:
        index_name = "pending"
        projection = AllProjection()

    pending = UnicodeAttribute(hash_key=True)
    pending_at = UTCDateTimeAttribute(range_key=True)


class ItemDeliveryIndex(GlobalSecondaryIndex["DeliveryModel"]):
    """What was sent because of one mention, report, bundle or incident, in the order it was claimed."""

    class Meta:
        index_name = "item"
        projection = AllProjection()

    item_id = UnicodeAttribute(hash_key=True)
    claimed_at = UTCDateTimeAttribute(range_key=True)


REPORT_INBOX_FIELDS = ("text", "channel", "platform", "department", "urgency", "status", "terms")


class ReportInboxIndex(GlobalSecondaryIndex["ReportModel"]):
    """Reports newest first, searched as the inbox searches mentions (never the reporter's address:
    their own reports are found by a hashed term)."""

    class Meta:
        index_name = "inbox"
        projection = IncludeProjection(list(REPORT_INBOX_FIELDS))

    inbox_day = UnicodeAttribute(hash_key=True)
    inbox_key = UnicodeAttribute(range_key=True)


class ReportDrillIndex(GlobalSecondaryIndex["ReportModel"]):
    """The reports a drill or a watchfulness exercise sent or drew, oldest first (sparse: only
    those carry `drill`), for its measure: a keyed Query, not a Scan of every report."""

    class Meta:
        index_name = "drill"
        projection = IncludeProjection(["department", "reporter_email"])

    drill = UnicodeAttribute(hash_key=True)
    received_at = UTCDateTimeAttribute(range_key=True)


class ReportModel(Model):
    class Meta(_Meta):
        table_name = _settings.table_name("reports")
        stream_view_type = "NEW_IMAGE"

    report_id = UnicodeAttribute(hash_key=True)
    channel = UnicodeAttribute()
    text = UnicodeAttribute()
    urls = ListAttribute(of=UnicodeAttribute, default=list)
    platform = UnicodeAttribute(default="")
    department = UnicodeAttribute(default="")
    urgency = UnicodeAttribute(default="normal")
    reporter_email = UnicodeAttribute(default="")
    # How the address was shown to be the sender's (records.Proof); absent: it was not.
    reporter_proof = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(default="")
    status = UnicodeAttribute(default="received")
    quarantine_reason = UnicodeAttribute(default="")
    received_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)
    drill = UnicodeAttribute(null=True)  # the drill that sent it
    language = UnicodeAttribute(null=True)  # the reporter's, at filing: their mails are in it
    # Filled in by the router: the story it joined and who was told, for the reporter's page.
    cluster_id = UnicodeAttribute(null=True)
    position = NumberAttribute(null=True)  # the reporter was the Nth employee to report it
    routed_to = ListAttribute(of=UnicodeAttribute, null=True)
    lead_minutes = NumberAttribute(null=True)  # how long before any listening tool they saw it
    # What became of the incident it joined (acknowledged, resolved), for the page and the email.
    outcome = UnicodeAttribute(null=True)
    outcome_at = UTCDateTimeAttribute(null=True)
    screenshots = ListAttribute(of=UnicodeAttribute, null=True)  # S3 keys in the uploads bucket
    # Triage of the report's own text (absent on reports stored before it was triaged).
    sentiment = UnicodeAttribute(null=True)
    sentiment_score = NumberAttribute(null=True)
    text_departments = ListAttribute(of=UnicodeAttribute, null=True)
    risk_terms = ListAttribute(of=UnicodeAttribute, null=True)
    severity = UnicodeAttribute(null=True)
    severity_reasons = ListAttribute(of=UnicodeAttribute, null=True)
    cluster_index = ReportClusterIndex()
    inbox_day = UnicodeAttribute(null=True)
    inbox_key = UnicodeAttribute(null=True)
    terms = UnicodeAttribute(null=True)
    inbox = ReportInboxIndex()
    drill_index = ReportDrillIndex()


class DeliveryModel(Model):
    """The delivery log: a row is claimed with a conditional put before the publish, and marked
    sent after it, so a redelivered stream record skips what was sent and retries the rest."""

    class Meta(_Meta):
        table_name = _settings.table_name("deliveries")

    delivery_id = UnicodeAttribute(hash_key=True)
    item_kind = UnicodeAttribute()
    item_id = UnicodeAttribute()
    group = UnicodeAttribute()
    topic_arn = UnicodeAttribute()
    subject = UnicodeAttribute()
    message = CompressedTextAttribute()  # the MessageStructure=json document, kept for retries
    reasons = ListAttribute(of=UnicodeAttribute, default=list)
    status = UnicodeAttribute()  # claimed | held | sent | dead | superseded | covered (told in a bundle)
    attempts = NumberAttribute(default=0)
    claimed_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    # Who among the group's members receives it: "all", or the time zones that are awake.
    audience = ListAttribute(of=UnicodeAttribute, default=list)
    severity = UnicodeAttribute(default="")
    incident_id = UnicodeAttribute(null=True)
    lang = UnicodeAttribute(null=True)  # the message's language; none: one message for every language
    # A held digest gathers one line per notification it stands in for.
    lines = ListAttribute(of=UnicodeAttribute, null=True)
    # A single notice's row a bundle wrote (status "covered": the bundle told it); such a row
    # holds only its id, status, this and its expiry (notify/delivery._cover).
    covered_by = UnicodeAttribute(null=True)
    pending = UnicodeAttribute(null=True)
    pending_at = UTCDateTimeAttribute(null=True)
    pending_index = PendingDeliveryIndex()
    item_index = ItemDeliveryIndex()
    expires_at = TTLAttribute(null=True)


class ConfigModel(Model):
    """Admin-editable configuration: departments, stakeholder groups, routing rules."""

    class Meta(_Meta):
        table_name = _settings.table_name("config")

    kind = UnicodeAttribute(hash_key=True)  # department | group | rule | route
    key = UnicodeAttribute(range_key=True)
    body = UnicodeAttribute()  # JSON document, validated by the module that owns the kind
    updated_at = UTCDateTimeAttribute()


class WallModel(Model):
    """What the office wall shows, kept ready by the router: one snapshot item ("wall") that a
    poll reads whole, and one ledger item per day ("day|2026-11-24") that digests read."""

    class Meta(_Meta):
        table_name = _settings.table_name("wall")

    id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(default=0)
    doc = UnicodeAttribute(null=True)  # JSON, as written before documents were compressed
    docz = BinaryAttribute(null=True, legacy_encoding=False)  # the JSON, zlib-compressed (store/wall.py)
    expires_at = TTLAttribute(null=True)


class CounterModel(Model):
    """Mention counts per minute: one item per minute bucket, one attribute per dimension
    ("n" for all, "n|source|<slug>", "n|brand|<brand>"), each batch adding to them with a
    single UpdateItem per bucket it touches."""

    class Meta(_Meta):
        table_name = _settings.table_name("counters")

    bucket = UnicodeAttribute(hash_key=True)  # "m|2026-11-24T10:01"
    expires_at = TTLAttribute(null=True)


class CursorModel(Model):
    """Where each pull source stopped: ETag and Last-Modified for feeds, since_id for vendor
    APIs, and when to poll next (interval, Retry-After, or backoff after failures)."""

    class Meta(_Meta):
        table_name = _settings.table_name("cursors")

    cursor_id = UnicodeAttribute(hash_key=True)  # "<source>|<target id>"
    state = UnicodeAttribute(default="{}")  # JSON: what the source needs to resume
    next_poll_at = UTCDateTimeAttribute()
    failures = NumberAttribute(default=0)
    last_status = UnicodeAttribute(default="")
    updated_at = UTCDateTimeAttribute()


class RecentStoryIndex(GlobalSecondaryIndex["ClusterModel"]):
    """Stories told more than once (or reported, or an incident) by the day they were last active,
    newest first: the console's stories list. Sparse: single posts are not in it."""

    class Meta:
        index_name = "recent"
        projection = IncludeProjection(["title", "size", "negative", "reports", "reach", "severity", "incident_id"])

    active_day = UnicodeAttribute(hash_key=True)
    last_seen = UTCDateTimeAttribute(range_key=True)


class ClusterModel(Model):
    """One story: every mention and report that is the same post, a repost, a quote or a copy of
    it. `window_*` counts how many joined in the current ten minutes (its velocity)."""

    class Meta(_Meta):
        table_name = _settings.table_name("clusters")

    cluster_id = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute(default="")
    first_seen = UTCDateTimeAttribute()
    last_seen = UTCDateTimeAttribute()
    size = NumberAttribute(default=0)
    negative = NumberAttribute(default=0)
    reports = NumberAttribute(default=0)
    first_mention_at = UTCDateTimeAttribute(null=True)  # when a listening tool first had it
    first_report_at = UTCDateTimeAttribute(null=True)  # when an employee first reported it
    severity = UnicodeAttribute(default="low")
    departments = ListAttribute(of=UnicodeAttribute, default=list)
    window_start = UTCDateTimeAttribute()
    window_count = NumberAttribute(default=0)
    reach = NumberAttribute(default=0)  # followers of every author in the story, summed
    influencers = ListAttribute(of=UnicodeAttribute, default=list)  # watched accounts that joined
    incident_id = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    buckets = JSONAttribute(null=True)  # ten-minute buckets of its life (policy/stories.py)
    # What its groups were told when the batch that started it put it ("group|level"): the
    # notices table holds what they were told after (flows/router.py reads both).
    told = UnicodeSetAttribute(null=True)
    # The stories list: one partition per day of last activity, newest first.
    active_day = UnicodeAttribute(null=True)
    recent = RecentStoryIndex()


class ClusterIndexModel(Model):
    """How a new signal finds its story: sketch values ("m:..."), post aliases ("p:..."), and
    whether a signal was counted (a mention's alias marked `member`, a report's "member:<id>").
    A post that started its story has no alias here: the story's id is derived from it."""

    class Meta(_Meta):
        table_name = _settings.table_name("cluster-index")

    key = UnicodeAttribute(hash_key=True)
    cluster_id = UnicodeAttribute()
    sketch = UnicodeAttribute(null=True)  # for "m:" keys: the claiming text's sketch, hex, comma-separated
    member = BooleanAttribute(null=True)  # on a post's alias: that post is counted (policy/stories.py)
    expires_at = TTLAttribute(null=True)


class DueIncidentIndex(GlobalSecondaryIndex["IncidentModel"]):
    """Sparse: incidents the escalation schedule must look at, by when."""

    class Meta:
        index_name = "due"
        projection = AllProjection()

    due = UnicodeAttribute(hash_key=True)
    next_action_at = UTCDateTimeAttribute(range_key=True)


class NoticeModel(Model):
    """Which groups were told about a story, and at which level ("customer-care|story",
    "crisis-team|incident"): one notification per story or incident per group per level,
    read and written in batches by the router."""

    class Meta(_Meta):
        table_name = _settings.table_name("notices")

    cluster_id = UnicodeAttribute(hash_key=True)
    told = UnicodeSetAttribute(default=set)
    expires_at = TTLAttribute(null=True)


class IncidentModel(Model):
    """A cluster whose severity or velocity crossed the line; it keeps a timeline."""

    class Meta(_Meta):
        table_name = _settings.table_name("incidents")

    incident_id = UnicodeAttribute(hash_key=True)
    cluster_id = UnicodeAttribute()
    title = UnicodeAttribute(default="")
    opened_at = UTCDateTimeAttribute()
    severity = UnicodeAttribute(default="high")
    status = UnicodeAttribute(default="open")  # open | acknowledged | resolved
    timeline = ListAttribute(of=UnicodeAttribute, default=list)  # JSON documents, oldest first
    # Set when it is first notified: who owns it and how it escalates.
    owner = UnicodeAttribute(default="")
    policy = UnicodeAttribute(default="")
    level = NumberAttribute(default=0)
    notified = ListAttribute(of=UnicodeAttribute, default=list)  # groups told so far
    reach_notified = NumberAttribute(default=0)  # the story's reach when it was last escalated for reach
    jumps = ListAttribute(of=UnicodeAttribute, default=list)  # reach-driven escalations done
    acknowledged_at = UTCDateTimeAttribute(null=True)
    acknowledged_by = UnicodeAttribute(null=True)
    resolved_at = UTCDateTimeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    resolution = UnicodeAttribute(null=True)  # "drill-ended" when its drill's end resolved it
    drill = UnicodeAttribute(null=True)  # the drill whose storm opened it
    reminders = NumberAttribute(default=0)
    context = UnicodeAttribute(default="")  # the first notice's text: follow-ups repeat it
    reopened = ListAttribute(of=UnicodeAttribute, default=list)  # ISO times it came back after resolving
    # Sparse: "open" while the schedule has something to do for it, at next_action_at.
    due = UnicodeAttribute(null=True)
    next_action_at = UTCDateTimeAttribute(null=True)
    due_index = DueIncidentIndex()


class DepartmentIndex(GlobalSecondaryIndex["IdentityModel"]):
    """Who is in a department: sparse, only the rows of active people with a department carry
    `dept` (the department's slug), so a department page is one Query."""

    class Meta:
        index_name = "department"
        projection = AllProjection()

    dept = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class IdentityModel(Model):
    """People and what proves who they are: `people` (one row per person, keyed by address: role,
    department and the directory's record), `directory|` (the directory's keys: id, userName,
    externalId, emails; groups and their members; provisioning clients), `creds|<address>` (a
    person's sessions, to end them at once), `session|`, `link|` (sign-in links), `oidc|` (a
    sign-in in flight), `tokens` (personal API tokens), `rate|` (attempt counters). Secrets are
    keyed by their SHA-256, never stored as given."""

    class Meta(_Meta):
        table_name = _settings.table_name("identity")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="-")
    doc = JSONAttribute(default=dict)
    uses = NumberAttribute(null=True)  # rate counters and single-use marks: ADDed atomically
    expires_at = TTLAttribute(null=True)
    rev = NumberAttribute(null=True)  # a directory row's version: writes are conditional on it (ETags)
    dept = UnicodeAttribute(null=True)
    department_index = DepartmentIndex()


class AuditModel(Model):
    """Who changed what, when and from where: one partition per month, newest read first."""

    class Meta(_Meta):
        table_name = _settings.table_name("audit")

    month = UnicodeAttribute(hash_key=True)  # "2026-11"
    key = UnicodeAttribute(range_key=True)  # "<ISO time>|<random>": time order
    actor = UnicodeAttribute()
    via = UnicodeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute(default="")
    source_ip = UnicodeAttribute(default="")
    user_agent = UnicodeAttribute(default="")
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class DuePlanIndex(GlobalSecondaryIndex["PlanModel"]):
    """Sparse: plans with a task reminder or a stakeholder update coming, by when."""

    class Meta:
        index_name = "due"
        projection = AllProjection()

    due = UnicodeAttribute(hash_key=True)
    next_at = UTCDateTimeAttribute(range_key=True)


class PlanModel(Model):
    """An incident's crisis plan: the scenario version it started under, its tasks, stakeholder
    updates, holding statements and review action items, in one document changed only by writes
    conditional on `rev` (two responders never overwrite each other)."""

    class Meta(_Meta):
        table_name = _settings.table_name("plans")

    incident_id = UnicodeAttribute(hash_key=True)
    scenario = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    rev = NumberAttribute(default=0)
    drill = UnicodeAttribute(null=True)  # the drill's id when the incident is a drill's
    due = UnicodeAttribute(null=True)
    next_at = UTCDateTimeAttribute(null=True)
    due_index = DuePlanIndex()


TABLES: tuple[type[Model], ...] = (
    MentionModel,
    ReportModel,
    DeliveryModel,
    ConfigModel,
    CounterModel,
    CursorModel,
    ClusterModel,
    ClusterIndexModel,
    IncidentModel,
    NoticeModel,
    WallModel,
    IdentityModel,
    AuditModel,
    PlanModel,
)
TTL_ATTRIBUTES: dict[str, str] = {
    ReportModel.Meta.table_name: "expires_at",
    CounterModel.Meta.table_name: "expires_at",
    DeliveryModel.Meta.table_name: "expires_at",
    NoticeModel.Meta.table_name: "expires_at",
    ClusterIndexModel.Meta.table_name: "expires_at",
    WallModel.Meta.table_name: "expires_at",
    IdentityModel.Meta.table_name: "expires_at",
    AuditModel.Meta.table_name: "expires_at",
}
STREAM_TABLES: tuple[type[Model], ...] = (MentionModel, ReportModel)
TOPIC_SUFFIXES: tuple[str, ...] = ("inbound-email", "ses-events")
