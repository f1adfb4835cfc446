"""What `chalice local` lacks: SES receiving. An SMTP inbox that accepts mail for the reports
address and hands each message to the app's inbound-email handler exactly as SES's SNS action
would: an SNS notification whose message is the SES receipt notification with the content.

Verdicts: mail from the company domain passes SPF and DKIM; mail from elsewhere gets GRAY (no
record to check against here); a company From header on an outside envelope fails DMARC."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import getaddresses, parseaddr
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from infra.local.lambda_context import LocalContext

SES_SNS_CONTENT_LIMIT = 150 * 1024  # SES's SNS action carries messages up to 150 KB


def _domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2].lower()


def ses_notification(
    raw: bytes, *, mail_from: str, recipients: list[str], company_domains: list[str], topic_arn: str, now: datetime
) -> dict[str, Any]:
    message = message_from_bytes(raw, policy=policy.compat32)
    header_from = str(message.get("From", ""))
    envelope_ok = _domain(mail_from) in company_domains
    spoofed = _domain(header_from) in company_domains and not envelope_ok
    verdict = "PASS" if envelope_ok else "GRAY"
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "notificationType": "Received",
        "mail": {
            "timestamp": stamp,
            "source": mail_from,
            "messageId": uuid.uuid4().hex,
            "destination": recipients,
            "headersTruncated": False,
            "headers": [{"name": k, "value": str(v)} for k, v in message.items()],
            "commonHeaders": {
                "returnPath": mail_from,
                "from": [a for _, a in getaddresses([header_from])],
                "to": [str(message.get("To", ""))],
                "date": str(message.get("Date", "")),
                "messageId": str(message.get("Message-ID", "")),
                "subject": str(message.get("Subject", "")),
            },
        },
        "receipt": {
            "timestamp": stamp,
            "processingTimeMillis": 1,
            "recipients": recipients,
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": verdict},
            "dkimVerdict": {"status": verdict},
            "dmarcVerdict": {"status": "FAIL" if spoofed else verdict},
            "action": {"type": "SNS", "topicArn": topic_arn, "encoding": "BASE64"},
        },
        "content": base64.b64encode(raw).decode(),
    }


def sns_event(message: str, *, topic_arn: str, now: datetime) -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": topic_arn,
                    "Subject": "Amazon SES Email Receipt Notification",
                    "Message": message,
                    "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                    "SignatureVersion": "1",
                    "Signature": "local",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": {},
                },
            }
        ]
    }


class _Handler:
    def __init__(self, inbox: SmtpInbox) -> None:
        self._inbox = inbox

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() not in self._inbox.accepted:
            return f"550 5.1.1 <{address}>: no such mailbox here (send to {self._inbox.accepted[0]})"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if len(raw) > SES_SNS_CONTENT_LIMIT:
            return "552 5.3.4 message larger than 150 KB (SES's SNS action limit)"
        try:
            await asyncio.to_thread(self._inbox.deliver, raw, str(envelope.mail_from or ""), list(envelope.rcpt_tos))
        except Exception as exc:  # tell the sender to retry, as SES's retrying delivery would
            return f"451 4.3.0 could not hand the message over: {type(exc).__name__}"
        return "250 2.0.0 Message accepted for delivery"


class SmtpInbox:
    def __init__(
        self,
        *,
        handler: Any,
        handler_name: str,
        topic_arn: str,
        port: int,
        accepted: list[str],
        company_domains: list[str],
    ) -> None:
        self.accepted = [a.lower() for a in accepted]
        self._handler = handler
        self._name = handler_name
        self._topic_arn = topic_arn
        self._domains = company_domains
        self.delivered = 0
        self._controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=port,
            data_size_limit=SES_SNS_CONTENT_LIMIT * 2,
            decode_data=False,
            enable_SMTPUTF8=True,
        )

    def deliver(self, raw: bytes, mail_from: str, recipients: list[str]) -> None:
        now = datetime.now(UTC)
        notification = ses_notification(
            raw,
            mail_from=mail_from,
            recipients=recipients,
            company_domains=self._domains,
            topic_arn=self._topic_arn,
            now=now,
        )
        self._handler(sns_event(json.dumps(notification), topic_arn=self._topic_arn, now=now), LocalContext(self._name))
        self.delivered += 1

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
