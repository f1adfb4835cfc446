"""GET/POST /report: the employee report form (works without JavaScript) and its receipt;
`?url=...&text=...` pre-fill it; POST /report/share: the Web Share Target (a phone's "Share ->
sharedwatch" opens the form pre-filled, with the screenshot for a signed-in person);
GET /report/{tracking_id}: what became of a report; GET/POST /report/confirm/{token}: the link in
the receipt to a typed address, which makes the report that address's own."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import hmac
import re
from dataclasses import replace
from urllib.parse import parse_qsl

from chalice.app import Blueprint, Request, Response

from chalicelib import credentials
from chalicelib.api import forms
from chalicelib.api.auth import browser_binding, check_csrf, client_address, csrf_token, principal, reader_for
from chalicelib.api.problems import from_error, media_type, raw_body, read_form, unaudited
from chalicelib.api.routes import public, signed
from chalicelib.clock import utcnow
from chalicelib.errors import (
    Forbidden,
    InvalidPayload,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    SharedwatchError,
    TooManyRequests,
    UnsupportedMediaType,
)
from chalicelib.flows import reports
from chalicelib.flows.ingest import take_report, triaged
from chalicelib.i18n import Reader
from chalicelib.intake import screenshots, web_form
from chalicelib.notify.receipts import is_company_address
from chalicelib.policy.access import Principal
from chalicelib.policy.drill_marks import drill_of
from chalicelib.policy.messages import story_lines
from chalicelib.records import Report
from chalicelib.settings import get_settings
from chalicelib.store.counters import take_allowance
from chalicelib.store.mapping import report_from_model
from chalicelib.store.models import ReportModel
from chalicelib.web import error_page, page

bp = Blueprint(__name__)
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
_TRACKING_ID = re.compile(r"^[a-z][a-z2-7]{15}$")


def _wants_html(request: Request) -> bool:
    accept = (request.headers.get("accept") or "").lower()
    return "text/html" in accept or ("*/*" not in accept and "json" not in accept)


def _form_parts(request: Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """A form's fields, and (multipart only) its files by field name (the first of each)."""
    body = raw_body(request)
    kind = media_type(request)
    try:
        if kind == "application/x-www-form-urlencoded":
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50, strict_parsing=False)
            return dict(pairs), {}
        header = f"Content-Type: {request.headers.get('content-type')}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
        fields: dict[str, str] = {}
        files: dict[str, bytes] = {}
        for count, part in enumerate(message.iter_parts()):
            if count >= 50:
                reader = reader_for(bp.current_request)
                raise MalformedBody(reader.gettext("the form has more than 50 fields")).for_reader(reader)
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if not isinstance(name, str):
                continue
            if part.get_filename() is None:
                fields[name] = data.decode("utf-8")
            elif data:
                files.setdefault(name, data)
        return fields, files
    except (UnicodeDecodeError, ValueError, TypeError) as exc:
        reader = reader_for(bp.current_request)
        raise MalformedBody(reader.gettext("the form body could not be read")).for_reader(reader) from exc


def _form_fields(request: Request) -> dict[str, str]:
    return _form_parts(request)[0]


def _person(request: Request) -> Principal | None:
    """Who is signed in, in this browser (a bearer token files no report as anyone's own)."""
    who = principal(request)
    return who if who is not None and who.via == "session" else None


def _signed_in_as(request: Request, form: web_form.FormInput) -> str:
    """The address a report is filed as its sender's own: the signed-in person's, when the form
    they send is the one shown to them (their session's CSRF token in it); else nobody's."""
    who = _person(request)
    if who is None:
        return ""
    try:
        check_csrf(form.session_csrf, who.session_id)
    except Forbidden:
        return ""  # a form opened before signing in, or sent from elsewhere: the address is typed
    return who.id


def _form_page(
    form: web_form.FormInput,
    *,
    status: int = 200,
    problems: dict[str, str] | None = None,
    banner: str = "",
    shared_key: str = "",
    note: str = "",
    action: str = "",
    reporter: Principal | None = None,
) -> Response:
    token = web_form.issue_token(key=credentials.signing_key(), now=utcnow())
    who = _person(bp.current_request)
    reader = reader_for(bp.current_request)
    return page(
        "report_form.html",
        status=status,
        reader=reader,
        platform_names={p: reader.gettext(name) for p, name in web_form.PLATFORM_NAMES.items()},
        urgencies={u: reader.gettext(name) for u, name in web_form.URGENCY_NAMES.items()},
        token=token,
        reporter=reporter,
        form=form,
        problems=problems or {},
        banner=banner,
        note=note,
        action=action,
        platforms=web_form.PLATFORMS,
        person=who.id if who else "",
        session_csrf=csrf_token(who.session_id) if who else "",
        shared_key=shared_key if who else "",
    )


def _drill_of(form: web_form.FormInput, *, reader: Reader) -> str:
    """The drill a form's mark ties the report to ("" without one); a mark we did not sign is
    refused, never filed as a real report (its sender meant it as a drill's)."""
    if not form.drill:
        return ""
    drill = drill_of(form.drill, key=credentials.signing_key())
    if not drill:
        raise InvalidPayload(
            reader.gettext("drill: this drill mark is not one of ours; open the exercise's link again")
        ).for_reader(reader)
    return drill


RATE_LIMIT = 10
RATE_WINDOW_MINUTES = 10


def _client_key(request: Request) -> str:
    """Who is submitting, as a keyed hash of the address: enough to rate-limit, not to identify
    (anonymous reporters stay anonymous, in the table as in the logs)."""
    identity = (request.context or {}).get("identity") or {}
    address = str(identity.get("sourceIp") or "unknown")
    return hmac.new(credentials.signing_key(), address.encode(), hashlib.sha256).hexdigest()[:24]


@bp.route("/report", methods=["GET"])
@public("anyone may report a post")
def report_form() -> Response:
    """The form; `?url=...&text=...` pre-fill it (the bookmarklet opens it so); signed in, it
    knows the reporter and their department."""
    query = {k: str(v) for k, v in (bp.current_request.query_params or {}).items()}
    return _form_page(web_form.prefilled(query), reporter=_person(bp.current_request))


@bp.route("/report/share", methods=["POST"], content_types=["*/*"])
@public("a phone's share menu reports a post", body=forms.SHARE_FORM, media="multipart/form-data")
@unaudited("opens a pre-filled form; a shared image is kept for the signed-in person until they send it")
def share_target() -> Response:
    """The Web Share Target the manifest registers: "Share -> sharedwatch" on a phone posts the
    page's title, text and link (and a screenshot) here as multipart/form-data; the answer is the
    report form, pre-filled, to check and send. Nothing is filed until it is sent."""
    request = bp.current_request
    who = _person(request)
    reader = reader_for(request)
    try:
        body = raw_body(request)
        limit = get_settings().max_screenshot_bytes + 64 * 1024
        if len(body) > limit:
            raise PayloadTooLarge(
                reader.gettext(
                    "the shared post is %(size)s bytes, at most %(limit)s",
                    size=reader.number(len(body)),
                    limit=reader.number(limit),
                )
            ).for_reader(reader)
        if media_type(request) not in FORM_TYPES:
            raise UnsupportedMediaType(
                reader.gettext("share to sharedwatch from the phone's share menu (multipart/form-data)")
            ).for_reader(reader)
        fields, files = _form_parts(request)
    except SharedwatchError as exc:
        return error_page(exc, back="../report", reader=reader)
    form = web_form.shared(
        title=fields.get("title", ""),
        text=fields.get("text", ""),
        url=fields.get("url", ""),
    )
    image = files.get(SHARED_IMAGE, b"")
    shared_key, note = "", ""
    if image and who is None:
        note = reader.gettext(
            "The screenshot was not kept: sign in to send it with the report, or attach it after sending."
        )
    elif image and who is not None:
        try:
            shared_key = screenshots.keep_shared(owner=who.id, body=image)
            note = reader.gettext("The screenshot you shared is attached: it is sent with the report.")
        except SharedwatchError as exc:
            note = reader.gettext("The screenshot was not attached: %(reason)s.", reason=exc.detail)
    return _form_page(form, shared_key=shared_key, note=note, action="../report", reporter=who)


@bp.route("/report", methods=["POST"], content_types=["*/*"])
@public("anyone may report a post", form=forms.REPORT_FORM)
@unaudited("a report coming in: kept as itself, with its channel (and no identity when anonymous)")
def submit_report() -> Response:
    request = bp.current_request
    html = _wants_html(request)
    # Every answer, page or problem+json, is in the sender's language; so are the mails about it.
    reader = reader_for(request)
    try:
        body = raw_body(request)
        if len(body) > get_settings().max_body_bytes:
            raise PayloadTooLarge(
                reader.gettext(
                    "the form is %(size)s bytes, at most %(limit)s",
                    size=reader.number(len(body)),
                    limit=reader.number(get_settings().max_body_bytes),
                )
            ).for_reader(reader)
        if media_type(request) not in FORM_TYPES:
            raise UnsupportedMediaType(
                reader.gettext(
                    "content type %(type)s: post the form as application/x-www-form-urlencoded or "
                    "multipart/form-data (to send reports from a program, use the Slack app or mail them to the "
                    "reports address)",
                    type=repr(media_type(request) or "(none)"),
                )
            ).for_reader(reader)
        fields = _form_fields(request)
        form = web_form.FormInput.from_fields(fields)
        drill = _drill_of(form, reader=reader)
        reporter = _person(request)
        # Signed in, and sending the form shown to them (their session's CSRF token in it): their
        # address and department go with the report, and it is theirs at once.
        if reporter is not None and not form.anonymous and _signed_in_as(request, form):
            form = replace(form, email=reporter.id, department=reporter.department or form.department)
    except SharedwatchError as exc:
        if html:
            return error_page(exc, back="report", reader=reader)
        raise
    now = utcnow()
    shared_key = fields.get("shared", "")[:80]  # a screenshot shared to the app, kept across a retry
    if not take_allowance(_client_key(request), limit=RATE_LIMIT, window_minutes=RATE_WINDOW_MINUTES, now=now):
        limited = TooManyRequests(
            reader.gettext(
                "at most %(limit)s reports in %(minutes)s minutes from one place; try again in a few minutes "
                "(what you typed is kept below)",
                limit=RATE_LIMIT,
                minutes=RATE_WINDOW_MINUTES,
            )
        ).for_reader(reader)
        if html:
            return _form_page(form, status=429, banner=limited.detail, reporter=reporter, shared_key=shared_key)
        raise limited
    try:
        nonce = web_form.check_token(form.token, key=credentials.signing_key(), now=now, reader=reader)
    except Forbidden as exc:
        if html:
            return _form_page(form, status=403, banner=exc.detail, reporter=reporter, shared_key=shared_key)
        raise
    problems = web_form.validate(form, reader=reader)
    if problems:
        if html:
            return _form_page(form, status=422, problems=problems, reporter=reporter, shared_key=shared_key)
        invalid = InvalidPayload("; ".join(f"{k}: {v}" for k, v in problems.items()), extra={"errors": problems})
        return from_error(invalid.for_reader(reader))
    signed_in_as = _signed_in_as(request, form)
    report = web_form.to_report(
        form,
        tracking_id=web_form.tracking_id_for(nonce),
        received_at=now,
        drill=drill,
        signed_in_as=signed_in_as,
        language=reader.language,
    )
    report = triaged(report)
    # A bot that filled the honeypot sees what a person would (a 201 receipt); nothing is stored.
    new = True if web_form.is_bot(form) else take_report(report)
    attached = _attach_shared(shared_key, owner=signed_in_as, report_id=report.report_id) if new else 0
    upload = screenshots.upload_form(report.report_id)
    return page(
        "report_receipt.html",
        reader=reader,
        status=201 if new else 200,
        report=report,
        created=new,
        attached=attached,
        reading=web_form.first_reading(report, reader=reader),
        confirm_by_mail=bool(report.reporter_email and not report.owner and is_company_address(report.reporter_email)),
        upload=upload,
        form_origins=(upload.origin,),
        max_mb=get_settings().max_screenshot_bytes // (1024 * 1024),
    )


SHARED_IMAGE = "screenshot"  # the manifest's share_target file field


def _attach_shared(key: str, *, owner: str, report_id: str) -> int:
    """A screenshot shared to the app, now attached to the report it was shared for (1), or not (0)."""
    if not key or not owner:
        return 0
    attached = screenshots.attach_shared(key=key[:80], owner=owner, report_id=report_id)
    if attached:
        ReportModel(report_id=report_id).update(
            actions=[ReportModel.screenshots.set((ReportModel.screenshots | []).append([attached]))]
        )
    return int(bool(attached))


def _refused(exc: SharedwatchError) -> Response:
    reader = reader_for(bp.current_request)
    if _wants_html(bp.current_request):
        return error_page(exc, reader=reader)
    raise exc.for_reader(reader)


def _confirm_page(report: Report, *, done: str = "") -> Response:
    binding, new_cookie = browser_binding(bp.current_request)
    reader = reader_for(bp.current_request)
    response = page(
        "report_confirm.html",
        reader=reader,
        report=report,
        received=reader.when(report.received_at),
        csrf=csrf_token(binding),
        done=done,
    )
    if new_cookie:
        response.headers["Set-Cookie"] = new_cookie
    return response


@bp.route("/report/confirm/{token}", methods=["GET"])
@signed("signed link", "the link mailed to confirm a report is yours")
def show_confirmation(token: str) -> Response:
    """The link in a receipt sent to a typed address: shows the report and a button (mail
    scanners and link previews open links; a GET never confirms)."""
    try:
        return _confirm_page(reports.pending(token, now=utcnow()))
    except SharedwatchError as exc:
        return _refused(exc)


@bp.route("/report/confirm/{token}", methods=["POST"], content_types=["*/*"])
@signed("signed link", "the link mailed to confirm a report is yours", form=forms.CSRF_FORM)
def confirm_report(token: str) -> Response:
    """The address's owner says they sent it: from now on it is in their GET /api/me/reports."""
    request = bp.current_request
    try:
        reports.pending(token, now=utcnow())  # a link that is not ours is refused before the form is read
        check_csrf(read_form(request, fields=4).get("csrf", ""), browser_binding(request)[0])
        report, changed = reports.confirm(
            token=token,
            source_ip=client_address(request),
            user_agent=request.headers.get("user-agent") or "",
            now=utcnow(),
        )
    except SharedwatchError as exc:
        return _refused(exc)
    reader = reader_for(request)
    done = (
        reader.gettext("Confirmed: it is in your reports now.")
        if changed
        else reader.gettext("It was already in your reports.")
    )
    return _confirm_page(report, done=done)


def _report_row(tracking_id: str) -> ReportModel | None:
    if not _TRACKING_ID.match(tracking_id):
        return None
    try:
        return ReportModel.get(tracking_id, consistent_read=True)
    except ReportModel.DoesNotExist:
        return None


def _status_page(row: ReportModel, *, banner: str = "", banner_ok: bool = True, status: int = 200) -> Response:
    report: Report = report_from_model(row)
    reader = reader_for(bp.current_request)
    status_text = {
        "received": reader.gettext("Received and passed to the right team."),
        "quarantined": reader.gettext("Held for review by an administrator."),
    }.get(report.status, report.status)
    attached = len(row.screenshots or [])
    upload = screenshots.upload_form(report.report_id) if attached < screenshots.MAX_PER_REPORT else None
    return page(
        "report_status.html",
        reader=reader,
        status=status,
        report=report,
        story=story_lines(
            outcome=row.outcome or "",
            routed_to=[str(g) for g in row.routed_to or []],
            position=int(row.position or 0),
            lead_minutes=float(row.lead_minutes) if row.lead_minutes is not None else None,
            reader=reader,
        ),
        status_text=status_text,
        urgency=reader.gettext(web_form.URGENCY_NAMES.get(report.urgency, report.urgency)),
        routed_urgency=reader.gettext(web_form.URGENCY_NAMES.get(report.routed_urgency, report.routed_urgency)),
        reading=web_form.first_reading(report, reader=reader),
        received=reader.when(report.received_at),
        attached=attached,
        upload=upload,
        form_origins=(upload.origin,) if upload else (),
        max_mb=get_settings().max_screenshot_bytes // (1024 * 1024),
        banner=banner,
        banner_ok=banner_ok,
    )


def _missing(tracking_id: str) -> Response:
    reader = reader_for(bp.current_request)
    missing = NotFound(reader.gettext("no report with tracking id %(id)s", id=repr(tracking_id[:40]))).for_reader(
        reader
    )
    if _wants_html(bp.current_request):
        return error_page(missing, back="../report", reader=reader)
    raise missing


@bp.route("/report/{tracking_id}", methods=["GET"])
@public("a report's status, by its unguessable tracking id")
def report_status(tracking_id: str) -> Response:
    row = _report_row(tracking_id)
    return _missing(tracking_id) if row is None else _status_page(row)


@bp.route("/report/{tracking_id}/screenshot", methods=["GET"])
@public("a report's screenshot upload status, by its unguessable tracking id")
def screenshot_uploaded(tracking_id: str) -> Response:
    """Where S3 sends the browser after a screenshot upload: check it, then attach it."""
    row = _report_row(tracking_id)
    if row is None:
        return _missing(tracking_id)
    key = dict(bp.current_request.query_params or {}).get("key", "")
    try:
        screenshots.check_upload(tracking_id, key, existing=len(row.screenshots or []))
    except SharedwatchError as exc:
        reader = reader_for(bp.current_request)
        banner = reader.gettext("The screenshot was not attached: %(reason)s.", reason=exc.detail)
        return _status_page(row, banner=banner, banner_ok=False, status=exc.status)
    if key not in (row.screenshots or []):
        row.update(actions=[ReportModel.screenshots.set((ReportModel.screenshots | []).append([key]))])
    return _status_page(row, banner=reader_for(bp.current_request).gettext("Screenshot attached: thank you."))
