"""People, personal API tokens and the audit trail: `/api/me`, `/api/people` (admins),
`/api/tokens` (everyone's own; admins see all), `/api/audit` (admins), and the account page."""

from __future__ import annotations

from datetime import timedelta

from chalice.app import Blueprint, Response

from chalicelib.api import forms, schemas
from chalicelib.api.auth import actor, check_csrf, csrf_token, reader_for
from chalicelib.api.problems import json_response, read_form, read_json
from chalicelib.api.routes import caller, needs
from chalicelib.bodies import whole_number
from chalicelib.clock import parse_timestamp, utcnow
from chalicelib.errors import InvalidPayload, SharedwatchError
from chalicelib.flows import people, recognition
from chalicelib.flows.signin import normalise_address
from chalicelib.i18n import LANGUAGE_NAMES, N_, zones
from chalicelib.policy.access import PERMISSIONS, ROLES, Principal, allows
from chalicelib.store import audit, identity
from chalicelib.web import error_page, page

bp = Blueprint(__name__)


def _me(who: Principal) -> dict[str, object]:
    return {
        "id": who.id,
        "name": who.name,
        "role": who.role,
        "department": who.department,
        "via": who.via,
        "token": who.token_id or None,
        "may": [p for p in PERMISSIONS if allows(who.role, p)],
    }


@bp.route("/api/me", methods=["GET"])
@needs("self")
def me() -> Response:
    return json_response(_me(caller()))


@bp.route("/api/people", methods=["GET"])
@needs("people")
def list_people() -> Response:
    # The provider's own document stays out of the listing (SCIM reads it back at /scim/v2).
    listed = [{k: v for k, v in p.items() if k != "scim"} for p in identity.list_people()]
    return json_response(
        {"people": sorted(listed, key=lambda p: str(p.get("email") or p.get("id"))), "roles": list(ROLES)}
    )


@bp.route("/api/people/{email}", methods=["PUT"], content_types=["*/*"])
@needs("people", body=schemas.PERSON)
def put_person(email: str) -> Response:
    """{"role": "responder", "name": "...", "department": "...", "disabled": false}."""
    who = caller()
    address = normalise_address(email)
    existed = identity.get_person(address) is not None
    saved = people.save_person(
        by=who, actor=actor(bp.current_request, who), email=address, doc=read_json(bp.current_request), now=utcnow()
    )
    return json_response(saved, status=200 if existed else 201)


@bp.route("/api/people/{email}", methods=["DELETE"])
@needs("people")
def delete_person(email: str) -> Response:
    who = caller()
    people.remove_person(actor=actor(bp.current_request, who), email=normalise_address(email), now=utcnow())
    return Response(body="", status_code=204)


@bp.route("/api/tokens", methods=["GET"])
@needs("self")
def list_tokens() -> Response:
    """Your tokens; `?all=1` every token (admins)."""
    who = caller()
    query: dict[str, str] = dict(bp.current_request.query_params or {})
    everyone = query.get("all") in ("1", "true")
    return json_response({"tokens": people.list_tokens(viewer=who, everyone=everyone, now=utcnow())})


def _require_person(who: Principal) -> None:
    if who.via == "break-glass":
        raise InvalidPayload(
            N_(
                "the break-glass token is not a person: make yourself an admin (PUT /api/people/{email}), "
                "sign in, and create tokens as yourself"
            )
        )


@bp.route("/api/tokens", methods=["POST"], content_types=["*/*"])
@needs("self", body=schemas.TOKEN_REQUEST)
def create_token() -> Response:
    """{"name": "deploy bot", "role": "responder", "expires_in_days": 90}: the token is in this
    answer only; it is stored as its hash."""
    who = caller()
    _require_person(who)
    token, doc = people.create_token(
        owner=who, actor=actor(bp.current_request, who), doc=read_json(bp.current_request), now=utcnow()
    )
    return json_response({**doc, "token": token}, status=201, headers={"Cache-Control": "no-store"})


@bp.route("/api/tokens/{token_id}", methods=["DELETE"])
@needs("self")
def revoke_token(token_id: str) -> Response:
    who = caller()
    return json_response(
        people.revoke_token(viewer=who, actor=actor(bp.current_request, who), token_id=token_id, now=utcnow())
    )


@bp.route("/api/audit", methods=["GET"])
@needs("people")
def read_audit() -> Response:
    """Newest first: `?since=&until=` (ISO times; default the last 30 days), `actor=`,
    `action=` (a prefix: `config.` or `incident.`), `target=`, `limit=` (1-500), `cursor=`."""
    query = dict(bp.current_request.query_params or {})
    now = utcnow()
    try:
        until = parse_timestamp(query["until"]) if query.get("until") else now
        since = parse_timestamp(query["since"]) if query.get("since") else until - timedelta(days=30)
        limit = int(query.get("limit", "100"))
    except (ValueError, SharedwatchError):
        raise InvalidPayload(N_("since/until: ISO 8601 times; limit: a whole number")) from None
    if not 1 <= limit <= 500 or since > until:
        raise InvalidPayload(N_("limit: 1-500; since must be before until"))
    entries, cursor = audit.search(
        since=since,
        until=until,
        actor=query.get("actor", "")[:320],
        action=query.get("action", "")[:80],
        target=query.get("target", "")[:300],
        limit=limit,
        after_key=query.get("cursor", "")[:80],
    )
    return json_response({"entries": entries, "cursor": cursor or None})


# The account page ------------------------------------------------------------------------------


@bp.route("/me", methods=["GET"])
@needs("self", page=True)
def account_page() -> Response:
    return _account(caller())


def _account(
    who: Principal, *, new_token: str = "", status: int = 200, problems: list[str] | None = None, done: str = ""
) -> Response:
    return page(
        "me.html",
        reader=reader_for(bp.current_request),
        status=status,
        me=_me(who),
        tokens=people.list_tokens(viewer=who, everyone=False, now=utcnow()),
        roles=[r for r in ROLES if ROLES.index(r) <= ROLES.index(who.role)],
        csrf=csrf_token(who.session_id),
        new_token=new_token,
        problems=problems or [],
        # What their own reports led to, and whether they are thanked by name (docs/training.md).
        outcomes=recognition.my_outcomes(who.id, now=utcnow()),
        by_name=recognition.by_name(who.id),
        done=done,
        # Their own language and zone (/me/reading), and what they may choose from.
        reading=identity.get_choice(who.id) if who.via == "session" else {},
        languages=LANGUAGE_NAMES,
        zones=zones(),
    )


@bp.route("/me/tokens", methods=["POST"], content_types=["*/*"])
@needs("self", form=forms.TOKEN_FORM, back="/me")
def account_tokens() -> Response:
    """The account page's token forms: create (name, role, days) or revoke (revoke=<id>)."""
    request = bp.current_request
    who = caller()
    form = read_form(request, fields=6)
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
        if form.get("revoke"):
            people.revoke_token(viewer=who, actor=actor(request, who), token_id=form["revoke"], now=utcnow())
            return _account(who)
        days = form.get("days", "90")
        token, _ = people.create_token(
            owner=who,
            actor=actor(request, who),
            doc={
                "name": form.get("name", ""),
                "role": form.get("role", who.role),
                "expires_in_days": whole_number(days, digits=3) or days,
            },
            now=utcnow(),
        )
    except InvalidPayload as exc:
        return _account(who, status=400, problems=list(exc.extra.get("errors") or [exc.detail]))
    except SharedwatchError as exc:
        return error_page(exc)
    return _account(who, new_token=token, status=201)
