"""The receipt an employee gets at once when they left an email: their tracking id, where the
report went, whether others saw the same, and the link to follow it."""

from __future__ import annotations

from chalicelib.errors import DeliveryFailed
from chalicelib.notify.mail import send_mail
from chalicelib.observability import logger
from chalicelib.records import Report
from chalicelib.settings import get_settings
from chalicelib.triage.identity import key_for


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def story_lines(*, outcome: str, routed_to: list[str], position: int, lead_minutes: float | None) -> list[str]:
    """The loop back to the reporter: what became of it, who has it, what it was part of."""
    lines = [outcome] if outcome else []
    if routed_to:
        lines.append(f"{' and '.join(routed_to)} {'have' if len(routed_to) > 1 else 'has'} it.")
    if position:
        lines.append(
            "You were the first employee to report this."
            if position == 1
            else f"You are the {_ordinal(position)} employee to report this: thank you for making sure."
        )
    if lead_minutes is not None:
        if lead_minutes >= 1:
            lines.append(f"You spotted it {lead_minutes:.0f} minutes before any listening tool did.")
        elif lead_minutes <= -1:
            lines.append(
                f"A listening tool had it {-lead_minutes:.0f} minutes earlier; your report adds what you know."
            )
    return lines


def tell_reporter(*, report_id: str, email: str, text: str, event: str, subject: str, lines: list[str]) -> bool:
    """One email to the employee behind a report, once per report and event (the delivery log).
    A mail outage is logged and never fails what called it (routing, an acknowledgement): the
    status page carries the same news."""
    status_url = f"{get_settings().public_base_url}/report/{report_id}"
    body = "\n".join([*lines, "", f"What you reported: {text[:500]}", f"Follow it here: {status_url}"])
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


def send_receipt(report: Report, lines: list[str]) -> bool:
    """The receipt at once: where it went, the reporter's place in the story, the tracking id."""
    if not report.reporter_email:
        return False
    return tell_reporter(
        report_id=report.report_id,
        email=report.reporter_email,
        text=report.text,
        event="received",
        subject=f"We got your report {report.report_id}",
        lines=[
            "Thank you: your report reached the team that handles it.",
            "",
            *lines,
            "",
            f"Tracking id: {report.report_id}",
        ],
    )
