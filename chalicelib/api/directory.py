"""The directory's console (admins): provisioning clients for SCIM (a bearer token each, shown
once, revocable, audited) and the CSV import for companies without SCIM. The API and the page
call the same flows (flows/directory.py)."""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from chalicelib.api import forms, schemas
from chalicelib.api.auth import actor, check_csrf, csrf_token, reader_for, say
from chalicelib.api.problems import json_response, media_type, raw_body, read_form, read_json
from chalicelib.api.routes import caller, needs
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, PayloadTooLarge, SharedwatchError, UnsupportedMediaType
from chalicelib.flows import directory
from chalicelib.i18n import N_
from chalicelib.policy.access import Principal
from chalicelib.policy.directory import CSV_COLUMNS
from chalicelib.settings import get_settings
from chalicelib.web import error_page, page

bp = Blueprint(__name__)
MAX_CSV_BYTES = 5 * 1024 * 1024
CSV_TYPES = {"text/csv", "application/csv", "text/plain"}


@bp.route("/api/directory/clients", methods=["GET"])
@needs("people")
def list_clients() -> Response:
    """The provisioning clients (SCIM), newest first; never their tokens."""
    return json_response({"clients": directory.list_clients(), "scim_base": _scim_base(bp.current_request)})


@bp.route("/api/directory/clients", methods=["POST"], content_types=["*/*"])
@needs("people", body=schemas.PROVISIONING_CLIENT)
def create_client() -> Response:
    """{"name": "Okta"}: a provisioning client; its bearer token is in this answer only."""
    who = caller()
    doc = read_json(bp.current_request)
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a JSON object: name"))
    token, made = directory.create_client(actor=actor(bp.current_request, who), name=doc.get("name"), now=utcnow())
    return json_response(
        {**made, "token": token, "scim_base": _scim_base(bp.current_request)},
        status=201,
        headers={"Cache-Control": "no-store"},
    )


@bp.route("/api/directory/clients/{client_id}", methods=["DELETE"])
@needs("people")
def revoke_client(client_id: str) -> Response:
    """Revoke a provisioning client: its token stops working at once."""
    who = caller()
    return json_response(
        directory.revoke_client(actor=actor(bp.current_request, who), client_id=client_id, now=utcnow())
    )


@bp.route("/api/directory/import", methods=["POST"], content_types=["*/*"])
@needs("people", body=schemas.PEOPLE_CSV, media="text/csv")
def import_people() -> Response:
    """A CSV file of people (text/csv; the first line names the columns), imported whole or not
    at all: a 422 lists every bad row."""
    who = caller()
    request = bp.current_request
    body = raw_body(request)
    if len(body) > MAX_CSV_BYTES:
        raise PayloadTooLarge(
            N_("the file is %(size)s bytes, at most %(limit)s"), values={"size": len(body), "limit": MAX_CSV_BYTES}
        )
    if media_type(request) not in CSV_TYPES:
        raise UnsupportedMediaType(
            N_("content type %(content_type)s: send text/csv"),
            values={"content_type": repr(media_type(request) or "(none)")},
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPayload(N_("the file is not UTF-8 text")) from None
    return json_response(directory.import_csv(text=text, actor=actor(request, who), now=utcnow()))


def _scim_base(request: Request) -> str:
    base = get_settings().public_base_url or f"http://{request.headers.get('host') or 'localhost'}"
    return base + "/scim/v2"


# The page --------------------------------------------------------------------------------------


def _page(
    who: Principal, *, done: str = "", new_token: str = "", problems: list[str] | None = None, status: int = 200
) -> Response:
    return page(
        "directory.html",
        status=status,
        person=who.label,
        clients=directory.list_clients(),
        scim_base=_scim_base(bp.current_request),
        columns=CSV_COLUMNS,
        csrf=csrf_token(who.session_id),
        done=done,
        new_token=new_token,
        problems=problems or [],
    )


@bp.route("/admin/directory", methods=["GET"])
@needs("people", page=True)
def directory_page() -> Response:
    return _page(caller())


@bp.route("/admin/directory", methods=["POST"], content_types=["*/*"])
@needs("people", form=forms.DIRECTORY_FORM, back="/admin/directory")
def directory_from_page() -> Response:
    """The page's forms: a new provisioning client (name), revoke one (revoke=<id>), or import
    people (csv: the file's text)."""
    request = bp.current_request
    who = caller()
    if len(raw_body(request)) > MAX_CSV_BYTES * 3:
        return error_page(PayloadTooLarge(f"at most {MAX_CSV_BYTES} bytes of CSV"))
    form = read_form(request, fields=6)
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
        now = utcnow()
        if form.get("revoke"):
            gone = directory.revoke_client(actor=actor(request, who), client_id=form["revoke"], now=now)
            return _page(who, done=say(request, N_("%(name)s's provisioning token is revoked."), name=gone["name"]))
        if "csv" in form:
            counts = directory.import_csv(text=form["csv"], actor=actor(request, who), now=now)
            done = say(
                request, N_("Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged."), **counts
            )
            return _page(who, done=done)
        token, made = directory.create_client(actor=actor(request, who), name=form.get("name", ""), now=now)
    except InvalidPayload as exc:
        errors = exc.extra.get("errors") or [exc.detail]
        lines = [
            f"line {e['line']}{' (' + e['email'] + ')' if e.get('email') else ''}: {'; '.join(e['problems'])}"
            if isinstance(e, dict)
            else str(e)
            for e in errors
        ]
        exc.for_reader(reader_for(request))
        done = say(request, N_("Nothing was changed: %(detail)s"), detail=exc.detail)
        return _page(who, status=422, done=done, problems=lines[:200])
    except SharedwatchError as exc:
        return error_page(exc)
    return _page(
        who, done=say(request, N_("%(name)s can provision now."), name=made["name"]), new_token=token, status=201
    )
