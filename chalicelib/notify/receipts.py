"""Email to the employee behind a report: the receipt at once (their tracking id, where the
report went, whether others saw the same, the link to follow it) and later the outcome."""

from __future__ import annotations

from chalicelib import credentials
from chalicelib.clock import utcnow
from chalicelib.errors import DeliveryFailed
from chalicelib.i18n import ENGLISH, Reader
from chalicelib.notify.mail import send_mail
from chalicelib.observability import logger
from chalicelib.policy import report_links
from chalicelib.records import Report
from chalicelib.settings import get_settings
from chalicelib.triage.identity import key_for


def is_company_address(email: str) -> bool:
    """Mail goes only to the company's own addresses: the public form must never make the
    company's SES identity send attacker-chosen text to anyone else."""
    _, at, domain = email.rpartition("@")
    return bool(at) and domain.lower() in {d.lower() for d in get_settings().company_domains}


def slack_reporter(address: str) -> tuple[str, str, str] | None:
    """(workspace, user, channel) of a Slack reporter's address "slack:T/U/C", else None."""
    if not address.startswith("slack:"):
        return None
    parts = address.removeprefix("slack:").split("/")
    return (parts[0], parts[1], parts[2] if len(parts) > 2 else "") if len(parts) >= 2 and all(parts[:2]) else None


def tell_slack_reporter(*, report_id: str, address: str, event: str, lines: list[str], ephemeral: bool) -> bool:
    """The receipt as a message only the reporter sees, where they reported; the outcome as a
    direct message. Once per report and event (the delivery log), like the mail."""
    from chalicelib.notify import chat
    from chalicelib.policy.chat import slack_text

    found = slack_reporter(address)
    if found is None:
        return False
    team, user, channel = found
    status_url = f"{get_settings().public_base_url}/report/{report_id}"
    text = slack_text("\n".join([*lines, "", f"Follow it here: {status_url}"]))
    op = "ephemeral" if ephemeral and channel else "dm"
    outcome = chat.deliver(
        key_for("delivery", f"reporter:{report_id}:{event}:slack"),
        platform="slack",
        where=f"{team}/{channel}",
        doc={"op": op, "user": user, "text": text},
        item_id=report_id,
    )
    return outcome == "sent"


def tell_reporter(
    *,
    report_id: str,
    email: str,
    text: str,
    event: str,
    subject: str,
    lines: list[str],
    reader: Reader = ENGLISH,
) -> bool:
    """One email to the employee behind a report, in their language, once per report and event
    (the delivery log), and only to a company address. A mail outage is logged and never fails
    what called it (routing, an acknowledgement): the status page carries the same news. A Slack
    reporter hears it in Slack."""
    if email.startswith("slack:"):
        return tell_slack_reporter(report_id=report_id, address=email, event=event, lines=lines, ephemeral=False)
    if not is_company_address(email):
        logger.info("reporter not mailed: not a company address", extra={"report": report_id, "event": event})
        return False
    status_url = f"{get_settings().public_base_url}/report/{report_id}"
    body = "\n".join(
        [
            *lines,
            "",
            reader.gettext("What you reported: %(text)s", text=text[:500]),
            reader.gettext("Follow it here: %(url)s", url=status_url),
        ]
    )
    try:
        return send_mail(
            delivery_id=key_for("delivery", f"reporter:{report_id}:{event}"),
            to=email,
            subject=subject,
            body=body,
            item_id=report_id,
        )
    except DeliveryFailed as exc:
        logger.warning("reporter not told", extra={"report": report_id, "event": event, "error": exc.detail})
        return False


def confirmation_url(report: Report) -> str:
    """The link that makes a report its address's own, for the receipt mailed to that address."""
    token = report_links.mint(
        key=credentials.signing_key(), report_id=report.report_id, email=report.reporter_email, now=utcnow()
    )
    return f"{get_settings().public_base_url}/report/confirm/{token}"


def confirmation_lines(report: Report, *, reader: Reader = ENGLISH) -> list[str]:
    """What a receipt adds when the address was typed, not shown to be the sender's."""
    if report.owner or not is_company_address(report.reporter_email):
        return []  # already theirs; or anonymous, or an address that is never mailed
    return [
        "",
        reader.ngettext(
            "Did you send this report? Anyone can type an address into the report form, so it is not in your "
            "list of reports until you confirm it here (the link works for %(num)s day):",
            "Did you send this report? Anyone can type an address into the report form, so it is not in your "
            "list of reports until you confirm it here (the link works for %(num)s days):",
            report_links.LIFETIME.days,
        ),
        confirmation_url(report),
        reader.gettext("If you did not send it, ignore this email: it will not be shown as yours."),
    ]


def send_receipt(report: Report, lines: list[str]) -> bool:
    """The receipt at once: where it went, the reporter's place in the story, the tracking id;
    for an address that was typed, the link that makes the report its owner's."""
    if not report.reporter_email:
        return False
    reader = Reader.of(report.language)
    if report.reporter_email.startswith("slack:"):
        return tell_slack_reporter(
            report_id=report.report_id,
            address=report.reporter_email,
            event="received",
            lines=[
                reader.gettext("Thank you: your report reached the team that handles it."),
                "",
                *lines,
                "",
                reader.gettext("Tracking id: %(id)s", id=report.report_id),
            ],
            ephemeral=True,
        )
    return tell_reporter(
        report_id=report.report_id,
        email=report.reporter_email,
        text=report.text,
        event="received",
        subject=reader.gettext("We got your report %(id)s", id=report.report_id),
        lines=[
            reader.gettext("Thank you: your report reached the team that handles it."),
            "",
            *lines,
            "",
            reader.gettext("Tracking id: %(id)s", id=report.report_id),
            *confirmation_lines(report, reader=reader),
        ],
        reader=reader,
    )
