"""A report becomes its sender's own: the link in the receipt, followed, shows that whoever holds
the address sent it (policy/report_links.py signs it). Until then a report filed with a typed
address is in nobody's GET /api/me/reports: anyone can type a colleague's address."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib import credentials
from chalicelib.errors import NotFound
from chalicelib.policy import report_links
from chalicelib.policy.search import report_terms
from chalicelib.records import Proof, Report
from chalicelib.store.audit import Actor, record
from chalicelib.store.mapping import report_from_model
from chalicelib.store.models import ReportModel

CONFIRMED: Proof = "confirmation link"


def pending(token: str, *, now: datetime) -> Report:
    """The report a confirmation link is for; NotFound when the link is not one of ours (or the
    report is gone), LinkExpired when it is late."""
    report_id = report_links.report_of(token)
    try:
        row = ReportModel.get(report_id, consistent_read=True)
    except ReportModel.DoesNotExist:
        raise NotFound(report_links.INVALID) from None
    report_links.verify(token, key=credentials.signing_key(), email=row.reporter_email, now=now)
    return report_from_model(row)


def confirm(*, token: str, source_ip: str, user_agent: str, now: datetime) -> tuple[Report, bool]:
    """Make the report its address's own (False: it already was); audited as that address."""
    report = pending(token, now=now)
    if report.reporter_proof:
        return report, False
    mine = replace(report, reporter_proof=CONFIRMED)
    try:
        ReportModel(report_id=report.report_id).update(
            actions=[
                ReportModel.reporter_proof.set(CONFIRMED),
                ReportModel.terms.set(report_terms(mine.routing_fields(), owner=mine.owner, status=mine.status)),
            ],
            # The address the link was signed for is still the report's (and it still exists).
            condition=ReportModel.reporter_email == report.reporter_email,
        )
    except UpdateError as exc:
        if "ConditionalCheckFailed" in str(exc):
            raise NotFound(report_links.INVALID) from None
        raise
    record(
        actor=Actor(id=report.reporter_email, via=CONFIRMED, source_ip=source_ip, user_agent=user_agent),
        action="report.confirm",
        target=report.report_id,
        now=now,
        after={"owner": report.reporter_email, "proof": CONFIRMED},
    )
    return mine, True
