"""Mail and SMS to people, in the one delivery log: a row per batch of up to 50 recipients
(claim, a conditional put on a deterministic id -> one SendBulkTemplatedEmail, or an SNS publish
to each phone -> mark sent). A failed call leaves the row claimed and counted, so the minute's
`retry_stale` sends it again, and it is dead after MAX_ATTEMPTS as any other; a destination SES
refused stays in the row alone and only it is retried.

Mail goes through one SES template (its text is the batch's, rendered here in the batch's
language: each language is its own batch), with each person's read link and the sending time in
their zone as the template data; through the configuration set, so SES reports bounces and
complaints (flows/reach.suppress). The non-readers' one reminder is a held row in the same log,
sent by the schedule's flush when due: each batch of the message gets at most one reminder
batch, of those in it who have not read it."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib import aws, credentials
from chalicelib.clock import isoformat, utcnow
from chalicelib.errors import DeliveryFailed
from chalicelib.i18n import N_, Reader, format_when
from chalicelib.notify.delivery import HELD, PENDING, _expiry, _reason, _record_failure
from chalicelib.observability import logger
from chalicelib.policy import read_links
from chalicelib.policy.reach import Batch, Recipient, not_read
from chalicelib.settings import get_settings
from chalicelib.store import reach as store
from chalicelib.store.models import DeliveryModel
from chalicelib.triage.identity import key_for

PEOPLE = "people"  # topic_arn of a batch row
REMINDER = "people-reminder"  # topic_arn of a message's held reminder row
_TEXT = "{{text}}\n\n{{sent_label}}: {{sent_time}}\n\n{{read_label}}: {{read_url}}\n"
_HTML = (
    '<div style="white-space:pre-wrap">{{text}}</div>'
    "<p>{{sent_label}}: {{sent_time}}</p>"
    '<p><a href="{{read_url}}" style="display:inline-block;padding:12px 20px;background:#0b5394;color:#fff;'
    'text-decoration:none;border-radius:6px">{{read_label}}</a></p>'
)
_SUBJECTS = {"brief": N_("All-staff brief"), "update": N_("Stakeholder update"), "statement": N_("Statement")}


def is_people(row: DeliveryModel) -> bool:
    return row.topic_arn in (PEOPLE, REMINDER)


def template_name() -> str:
    digest = hashlib.sha256((_TEXT + _HTML).encode()).hexdigest()[:8]
    return f"{get_settings().resource_prefix}reach-{digest}"


def create_template() -> str:
    """The SES template (its name carries its text's hash: a changed text is a new template).
    Made when a send finds it missing, so a send costs no call to look for it."""
    name = template_name()
    try:
        aws.ses().create_template(
            Template={"TemplateName": name, "SubjectPart": "{{subject}}", "TextPart": _TEXT, "HtmlPart": _HTML}
        )
    except Exception as exc:
        if "AlreadyExists" not in _reason(exc):
            raise
    return name


# Rendering (per batch: one language) -------------------------------------------------------------


def _gettext(reader: Reader, message: str) -> str:
    return reader.gettext(message) if message else ""


def subject(m: Mapping[str, Any], reader: Reader) -> str:
    parts = []
    if m.get("reminder"):
        parts.append(reader.gettext("Reminder") + ": ")
    if m.get("drill"):
        parts.append(reader.gettext("DRILL") + ": ")
    parts.append(f"{reader.gettext(_SUBJECTS.get(str(m['kind']), 'All-staff brief'))}: {m['title']}")
    return "".join(parts)[:200]


def body(m: Mapping[str, Any], reader: Reader) -> str:
    """The message's sections, each heading in the reader's language (the text is as it was approved)."""
    lines = []
    if m.get("reminder"):
        lines += [reader.gettext("You have not told us yet that you read this. Please read it now."), ""]
    if m.get("drill"):
        lines += [reader.gettext("DRILL: this is an exercise, not a real incident."), ""]
    for heading, text in m["sections"]:
        lines += [f"{_gettext(reader, heading)}:" if heading else "", str(text), ""]
    return "\n".join(line for i, line in enumerate(lines) if line or (i and lines[i - 1])).strip()


def read_url(m: Mapping[str, Any], r: Recipient, *, key: bytes) -> str:
    token = read_links.mint(
        key=key,
        incident_id=str(m["incident_id"]),
        message_id=str(m["message_id"]),
        person_id=r.person_id,
        department=r.department,
        expiry=read_links.expiry_for(datetime.fromisoformat(str(m["sent_at"]))),
    )
    return f"{get_settings().public_base_url}/read/{token}"


def template_data(m: Mapping[str, Any], reader: Reader) -> dict[str, str]:
    return {
        "subject": subject(m, reader),
        "text": body(m, reader),
        "sent_label": reader.gettext("Sent"),
        "read_label": reader.gettext("I've read it"),
    }


def personal(m: Mapping[str, Any], r: Recipient, *, key: bytes) -> dict[str, str]:
    sent = format_when(datetime.fromisoformat(str(m["sent_at"])), language=r.language, zone_name=r.zone)
    return {"sent_time": sent, "read_url": read_url(m, r, key=key)}


# The delivery rows ---------------------------------------------------------------------------------


def _batch_row(delivery_id: str, *, m: Mapping[str, Any], batch: Batch, now: datetime, group: str) -> DeliveryModel:
    return DeliveryModel(
        delivery_id=delivery_id,
        item_kind="people-reminder" if m.get("reminder") else "people",
        item_id=str(m["message_id"]),
        group=group,
        topic_arn=PEOPLE,
        subject=f"{batch.channel} {batch.language} x{len(batch.people)}: {m['title']}"[:200],
        message=json.dumps(
            {
                "m": dict(m),
                "channel": batch.channel,
                "lang": batch.language,
                "n": batch.number,
                "to": [r.short() for r in batch.people],
            }
        ),
        reasons=[f"{m['kind']} to people"],
        status=PENDING,
        attempts=0,
        claimed_at=now,
        audience=[],
        severity="critical",
        incident_id=str(m["incident_id"]),
        pending=PENDING,
        pending_at=now,
        expires_at=_expiry(now),
    )


def claim_batch(m: Mapping[str, Any], batch: Batch, *, group: str, now: datetime) -> DeliveryModel | None:
    """The batch's row to send, or None when it was sent already (or is dead)."""
    prefix = "remind" if m.get("reminder") else "people"
    delivery_id = key_for("delivery", f"{prefix}:{m['message_id']}:{batch.number}")
    row = _batch_row(delivery_id, m=m, batch=batch, now=now, group=group)
    try:
        row.save(condition=DeliveryModel.delivery_id.does_not_exist())
        return row
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise DeliveryFailed(f"could not claim delivery {delivery_id}: {exc.cause_response_code}") from exc
    existing = DeliveryModel.get(delivery_id, consistent_read=True)
    return existing if existing.status == PENDING else None


def publish(row: DeliveryModel) -> bool:
    """Send a claimed row (a batch, or a reminder that is due). True when all of it went."""
    if row.topic_arn == REMINDER:
        return _remind(row)
    doc = json.loads(row.message)
    people = [Recipient.of(s) for s in doc["to"]]
    send = _send_mail if doc["channel"] == "email" else _send_sms
    try:
        failed, message_id = send(doc["m"], people, language=str(doc["lang"]))
    except Exception as exc:  # the whole batch stays claimed, counted, and is retried
        _record_failure(row, _reason(exc))
        return False
    if failed:
        doc["to"] = [r.short() for r in failed]  # only those SES or SNS refused are sent again
        row.update(actions=[DeliveryModel.message.set(json.dumps(doc))])
        _record_failure(row, f"{len(failed)} of {len(people)} refused")
        return False
    row.update(
        actions=[
            DeliveryModel.status.set("sent"),
            DeliveryModel.sent_at.set(utcnow()),
            DeliveryModel.message_id.set(message_id),
            DeliveryModel.attempts.add(1),
            DeliveryModel.pending.remove(),
            DeliveryModel.pending_at.remove(),
        ]
    )
    return True


def _send_mail(m: Mapping[str, Any], people: Sequence[Recipient], *, language: str) -> tuple[list[Recipient], str]:
    settings = get_settings()
    key = credentials.signing_key()
    reader = Reader.of(language)
    shared = template_data(m, reader)
    own = [personal(m, r, key=key) for r in people]
    call = {
        "Source": settings.reports_address,
        "Template": template_name(),
        "ConfigurationSetName": settings.ses_configuration_set,
        "DefaultTemplateData": json.dumps(shared),
        "Destinations": [
            {"Destination": {"ToAddresses": [r.email]}, "ReplacementTemplateData": json.dumps(data)}
            for r, data in zip(people, own, strict=True)
        ],
    }
    try:
        answer = aws.ses().send_bulk_templated_email(**call)
    except Exception as exc:
        if "TemplateDoesNotExist" not in _reason(exc):
            raise
        create_template()
        answer = aws.ses().send_bulk_templated_email(**call)
    statuses = answer.get("Status", [])
    failed = [r for r, s in zip(people, statuses, strict=False) if s.get("Status", "Success") != "Success"]
    failed += list(people[len(statuses) :])
    if settings.is_local and settings.local_outbox_path:
        _to_outbox(m, shared, [(r, d) for r, d in zip(people, own, strict=True) if r not in failed])
    first = next((s.get("MessageId", "") for s in statuses if s.get("MessageId")), "")
    return failed, str(first)


def _send_sms(m: Mapping[str, Any], people: Sequence[Recipient], *, language: str) -> tuple[list[Recipient], str]:
    key = credentials.signing_key()
    failed: list[Recipient] = []
    last = ""
    for r in people:
        reader = Reader.of(r.language, r.zone)
        mark = (reader.gettext("Reminder") + ": " if m.get("reminder") else "") + (
            reader.gettext("DRILL") + ": " if m.get("drill") else ""
        )
        label = reader.gettext("I've read it")
        text = f"{mark}{m['sms']}"[:300] + f" {label}: {read_url(m, r, key=key)}"
        try:
            last = str(aws.sns().publish(PhoneNumber=r.phone, Message=text)["MessageId"])
        except Exception as exc:
            logger.warning("sms failed", extra={"person": r.person_id, "error": _reason(exc)})
            failed.append(r)
    return failed, last


def _to_outbox(
    m: Mapping[str, Any], shared: Mapping[str, str], sent: Sequence[tuple[Recipient, dict[str, str]]]
) -> None:
    """The local stack's outbox: each mail as the template renders it (what SES would send)."""
    settings = get_settings()
    with Path(settings.local_outbox_path).open("a", encoding="utf-8") as out:
        for r, data in sent:
            values = {**shared, **data}
            text = _TEXT
            for name, value in values.items():
                text = text.replace("{{" + name + "}}", value)
            entry = {
                "channel": "email",
                "to": r.email,
                "group": "people",
                "kind": str(m["kind"]),
                "subject": values["subject"],
                "email": text,
                "html": html.escape(text),
                "timestamp": isoformat(utcnow()),
            }
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


# The one reminder ----------------------------------------------------------------------------------


def hold_reminder(m: Mapping[str, Any], *, until: datetime, group: str) -> bool:
    """The message's reminder, held until due (sent by the schedule's flush). Once per message."""
    now = utcnow()
    row = DeliveryModel(
        delivery_id=key_for("delivery", f"people-reminder:{m['message_id']}"),
        item_kind="people-reminder",
        item_id=str(m["message_id"]),
        group=group,
        topic_arn=REMINDER,
        subject=f"reminder: {m['title']}"[:200],
        message=json.dumps(dict(m)),
        reasons=["those who have not read it, once"],
        status=HELD,
        attempts=0,
        claimed_at=now,
        audience=[],
        severity="critical",
        incident_id=None,  # an acknowledged incident's brief is still to be read: never superseded
        pending=HELD,
        pending_at=until,
        expires_at=_expiry(now),
    )
    try:
        row.save(condition=DeliveryModel.delivery_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _remind(row: DeliveryModel) -> bool:
    """Each batch of the message once more, to those in it who have not read it."""
    m = json.loads(row.message)
    readers = store.readers(str(m["message_id"]))
    reminder = {**m, "reminder": True}
    people: set[str] = set()
    for original in DeliveryModel.item_index.query(str(m["message_id"])):
        if original.item_kind != "people":
            continue
        if original.status != "sent":  # a batch never delivered: a reminder would be its first word
            continue
        doc = json.loads(original.message)
        left = not_read([Recipient.of(s) for s in doc["to"]], readers)
        if not left:
            continue
        batch = Batch(str(doc["channel"]), str(doc["lang"]), int(doc["n"]), tuple(left))
        claimed = claim_batch(reminder, batch, group=row.group, now=utcnow())
        if claimed is None:
            continue
        people |= {r.person_id for r in left}
        publish(claimed)  # a failed batch stays claimed: retry_stale sends it
    store.set_reminded(str(m["incident_id"]), str(m["message_id"]), len(people))
    row.update(
        actions=[
            DeliveryModel.status.set("sent"),
            DeliveryModel.sent_at.set(utcnow()),
            DeliveryModel.attempts.add(1),
            DeliveryModel.pending.remove(),
            DeliveryModel.pending_at.remove(),
        ]
    )
    logger.info("reminded", extra={"message": m["message_id"], "people": len(people)})
    return True


# The group's chat channel ------------------------------------------------------------------------


def announce(m: Mapping[str, Any], *, chats: Sequence[tuple[str, str]], group: str) -> int:
    """The message, in English and without anyone's read link, to the group's announcements
    channels (Slack, Teams, a Teams Workflows webhook): a chat row of the delivery log each,
    once per message and channel. How many were posted now."""
    from chalicelib.notify import chat

    reader = Reader.of("en")
    title, text = subject(m, reader), body(m, reader)
    line = "Confirm you have read it with the link in your email."
    card = {
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": text[:3000], "wrap": True},
            {"type": "TextBlock", "text": line, "isSubtle": True, "wrap": True},
        ],
    }
    posted = 0
    for platform, where in chats:
        outcome = chat.deliver(
            key_for("delivery", f"announce:{m['message_id']}:{platform}:{where}"),
            platform=platform,
            where=where,
            doc={"op": "announce", "text": f"*{title}*\n\n{text[:3000]}\n\n_{line}_", "card": card},
            item_id=str(m["incident_id"]),
            group=group,
        )
        posted += outcome == "sent"
    return posted
