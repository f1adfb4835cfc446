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


def send_receipt(report: Report, lines: list[str]) -> bool:
    """Once per report (the delivery log); a mail outage is logged, never fails the routing:
    the status page carries the same news."""
    if not report.reporter_email:
        return False
    status_url = f"{get_settings().public_base_url}/report/{report.report_id}"
    body = "\n".join(
        [
            "Thank you: your report reached the team that handles it.",
            "",
            *lines,
            "",
            f"Tracking id: {report.report_id}",
            f"Follow it here: {status_url}",
            "",
            f"What you reported: {report.text[:500]}",
        ]
    )
    try:
        return send_mail(
            delivery_id=key_for("delivery", f"reporter:{report.report_id}:received"),
            to=report.reporter_email,
            subject=f"We got your report {report.report_id}",
            body=body,
            item_id=report.report_id,
        )
    except DeliveryFailed as exc:
        logger.warning("receipt not sent", extra={"report": report.report_id, "error": exc.detail})
        return False
