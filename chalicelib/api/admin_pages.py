"""The console's configuration pages: everything the routing reads, shown as it is (groups with
their members' confirmation state, departments, ordered rules with the tester beside them,
policies, maintenance windows, planned events, displays, dead deliveries), and edited as the API
edits it: each form is saved by the same function as its API route, so a wrong part is the same
400 listing each wrong part, and the change is audited alike."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from chalice.app import Blueprint, Response

from chalicelib import credentials
from chalicelib.api import forms
from chalicelib.api.auth import audit, check_csrf, csrf_token, say
from chalicelib.api.groups import _members
from chalicelib.api.incidents import _delivery
from chalicelib.api.problems import read_form, unaudited
from chalicelib.api.routes import caller, needs, needs_of
from chalicelib.api.wall import revoke_screen, save_screen
from chalicelib.bodies import Body, load_json, whole_number
from chalicelib.errors import InvalidPayload, NotFound, SharedwatchError
from chalicelib.flows.configuration import KINDS, SLUG
from chalicelib.flows.polling import load_targets
from chalicelib.i18n import N_
from chalicelib.notify.delivery import retry_dead
from chalicelib.policy.access import Principal, allows
from chalicelib.policy.escalation import policy_document
from chalicelib.policy.rules import decide, rule_document
from chalicelib.policy.scenarios import scenario_document
from chalicelib.store.config import current_taxonomy, load_routing, load_scenarios, planned_events
from chalicelib.store.models import DeliveryModel
from chalicelib.triage import severity_thresholds, triage_mention
from chalicelib.web import error_page, page

bp = Blueprint(__name__)


def _form() -> dict[str, str]:
    return read_form(bp.current_request, fields=6)


def _documents() -> dict[str, list[tuple[str, Any]]]:
    """Every kind's current documents, as (key, document) in the order the routing reads them."""
    config = load_routing()
    _, taxonomy = current_taxonomy()
    return {
        "groups": [
            (g.slug, {k: v for k, v in g.document().items() if k not in ("slug", "zones", "languages")})
            for g in sorted(config.groups.values(), key=lambda g: g.slug)
        ],
        "departments": [
            (d.slug, {"name": d.name, "group": d.group})
            for d in sorted(config.departments.values(), key=lambda d: d.slug)
        ],
        "rules": [
            (r.id, {k: v for k, v in rule_document(r).items() if k != "id"})
            for r in sorted(config.rules, key=lambda r: (r.order, r.id))
        ],
        "default-route": [("", {"groups": list(config.default_groups)})],
        "policies": [
            (p.id, {k: v for k, v in policy_document(p).items() if k != "id"}) for p in config.policies.values()
        ],
        "maintenance": [
            (
                w.id,
                {"start": w.start.isoformat(), "end": w.end.isoformat(), "groups": list(w.groups), "reason": w.reason},
            )
            for w in config.windows
        ],
        "taxonomy": [("", taxonomy)],
        "planned-events": [
            (e.key, {"series": e.key, "name": e.name, "start": e.start.isoformat(), "end": e.end.isoformat()})
            for e in planned_events()
        ],
        "pull-targets": [
            (t.id, {"source": t.source, "url": t.url, "interval_minutes": t.interval_minutes, "brand": t.brand})
            for t in load_targets()
        ],
        "plans": [
            (s.id, {k: v for k, v in scenario_document(s).items() if k not in ("id", "version")})
            for s in load_scenarios()
        ],
    }


def _overview(who: Principal, *, done: str = "", tester: dict[str, Any] | None = None, status: int = 200) -> Response:
    config = load_routing()
    groups = []
    for g in sorted(config.groups.values(), key=lambda g: g.slug):
        members = _members(g.slug)
        groups.append(
            {
                "slug": g.slug,
                "name": g.name,
                "members": members,
                "confirmed": sum(1 for m in members if m["state"] == "confirmed"),
            }
        )
    screens = credentials.display_screens()
    dead = list(DeliveryModel.scan(DeliveryModel.status == "dead", limit=200))
    return page(
        "admin.html",
        status=status,
        person=who.label,
        may_write=allows(who.role, "config.write"),
        may_act=allows(who.role, "incidents.act"),
        kinds=KINDS,
        documents={
            k: [(key, json.dumps(doc, indent=1, ensure_ascii=False)) for key, doc in docs]
            for k, docs in _documents().items()
        },
        groups=groups,
        displays=[{"name": n, **{k: v for k, v in s.items() if k != "token"}} for n, s in sorted(screens.items())],
        departments=sorted((d.slug, d.name) for d in config.departments.values()),
        dead=[_delivery(r) for r in dead[:50]],
        csrf=csrf_token(who.session_id),
        done=done,
        tester=tester,
    )


@bp.route("/admin", methods=["GET"])
@needs("config.read", page=True)
def admin_page() -> Response:
    who = caller()
    saved = dict(bp.current_request.query_params or {}).get("saved", "")[:120]
    return _overview(who, done=say(bp.current_request, N_("Saved %(what)s."), what=saved) if saved else "")


def _editor(
    who: Principal, kind: str, key: str, text: str, *, problems: list[str] | None = None, status: int = 200
) -> Response:
    return page(
        "admin_edit.html",
        status=status,
        person=who.label,
        kind=kind,
        title=KINDS[kind].title,
        keyed=KINDS[kind].keyed,
        api_path=KINDS[kind].path.replace("{key}", key or "{key}"),
        key=key,
        text=text,
        problems=problems or [],
        csrf=csrf_token(who.session_id),
    )


def _unknown_kind(kind: str) -> Response | None:
    """The page to answer for a kind there is nothing to edit called (after sign-in: a visitor
    not signed in learns nothing of which kinds exist)."""
    if kind in KINDS:
        return None
    return page("error.html", status=404, title="Not found", detail=f"nothing to edit called {kind[:40]!r}", back="")


@bp.route("/admin/edit/{kind}", methods=["GET"])
@needs("config.write", page=True)
def edit_page(kind: str) -> Response:
    who = caller()
    if unknown := _unknown_kind(kind):
        return unknown
    key = dict(bp.current_request.query_params or {}).get("key", "")[:63]
    current = dict(_documents()[kind]).get(key if KINDS[kind].keyed else "")
    return _editor(who, kind, key, json.dumps(current, indent=2, ensure_ascii=False) if current is not None else "{\n}")


def _api_body(path: str) -> Body | None:
    """The body the API route at `path` ("{key}" for its parameter) declares for PUT."""
    for route, methods in bp.current_app.routes.items():
        if re.sub(r"{[^}]+}", "{key}", route) == path and "PUT" in methods:
            declared = needs_of(methods["PUT"].view_function)
            return declared.body if declared is not None else None
    return None


@bp.route("/admin/edit/{kind}", methods=["POST"], content_types=["*/*"])
@needs("config.write", form=forms.CONFIG_FORM, page=True)
def save_from_page(kind: str) -> Response:
    who = caller()
    if unknown := _unknown_kind(kind):
        return unknown
    form = _form()
    key, text = form.get("key", "").strip(), form.get("doc", "")
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
        if KINDS[kind].keyed and not SLUG.match(key):
            raise InvalidPayload(
                N_("key: lowercase letters, digits and dashes, at most 63"), extra={"errors": ["key: a slug"]}
            )
        doc = load_json(text.encode())
        if (body := _api_body(KINDS[kind].path)) is not None:
            body.check(doc)  # the schema the API's route declares and checks
        KINDS[kind].save(key, doc)  # the API's own validation and save
    except InvalidPayload as exc:
        problems = [str(p) for p in exc.extra.get("errors") or []] or [exc.detail]
        return _editor(who, kind, key, text, problems=problems, status=400)
    except SharedwatchError as exc:
        return _editor(who, kind, key, text, problems=[exc.detail], status=exc.status)
    saved = f"{kind} {key}".strip()
    return Response(body="", status_code=303, headers={"Location": "/admin?" + urlencode({"saved": saved})})


@bp.route("/admin/rules/test", methods=["POST"], content_types=["*/*"])
@needs("config.read", form=forms.TESTER_FORM, page=True)
@unaudited("a dry run: nothing is stored or sent")
def test_from_page() -> Response:
    """The rule tester beside the rules: paste a post's words, see every rule's verdict and why."""
    who = caller()
    form = _form()
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
    except SharedwatchError as exc:
        return error_page(exc)
    from chalicelib.clock import utcnow
    from chalicelib.records import Author, Mention

    text = form.get("text", "").strip()[:2000] or "(empty)"
    followers = whole_number(form.get("followers", ""), digits=15) or 0
    now = utcnow()
    mention = Mention(
        mention_id="test",
        identity="test",
        source="console",
        platform=form.get("platform", "")[:30],
        external_id="",
        url="",
        text=text,
        author=Author(handle="tester", followers=min(followers, 10**9)),
        published_at=now,
        received_at=now,
    )
    taxonomy, _ = current_taxonomy()
    triaged = triage_mention(mention, taxonomy=taxonomy, thresholds=severity_thresholds())
    config = load_routing()
    decision = decide(triaged.routing_fields(), config.rules, config.default_groups)
    tester = {
        "text": text,
        "followers": followers,
        "triage": {
            "sentiment": triaged.sentiment_label,
            "departments": list(triaged.departments),
            "severity": triaged.severity,
            "reasons": list(triaged.severity_reasons),
            "kudos": triaged.kudos,
        },
        "verdicts": [{"rule": v.rule, "matched": v.matched, "reasons": list(v.reasons)} for v in decision.verdicts],
        "notify": [{"group": r.group, "reasons": list(r.reasons)} for r in decision.routes],
        "owner": decision.owner,
    }
    return _overview(who, tester=tester)


@bp.route("/admin/displays", methods=["POST"], content_types=["*/*"])
@needs("config.write", form=forms.DISPLAY_FORM, back="/admin#displays")
def add_display_from_page() -> Response:
    """A new screen from the configuration page; its address (with its token) is shown once."""
    who = caller()
    form = _form()
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
        doc = {
            "name": form.get("name", "").strip(),
            "lobby": form.get("lobby", "") not in ("", "0", "off"),
            "department": form.get("department", ""),
            "brand": form.get("brand", "").strip(),
        }
        made = save_screen(bp.current_request, who, doc)
    except InvalidPayload as exc:
        problems = "; ".join(exc.extra.get("errors") or [exc.detail])
        return _overview(
            who, done=say(bp.current_request, N_("Not saved: %(problems)s"), problems=problems), status=400
        )
    except SharedwatchError as exc:
        return error_page(exc)
    done = N_("Screen %(name)s is ready: open %(url)s on it (shown this once).")
    return _overview(who, done=say(bp.current_request, done, name=made["name"], url=made["url"]))


@bp.route("/admin/displays/{name}/revoke", methods=["POST"], content_types=["*/*"])
@needs("config.write", form=forms.CSRF_FORM, back="/admin#displays")
def revoke_display_from_page(name: str) -> Response:
    who = caller()
    form = _form()
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
        revoke_screen(bp.current_request, who, name[:63])
    except SharedwatchError as exc:
        return error_page(exc)
    done = N_("Screen %(name)s revoked: it shows nothing from now on.")
    return _overview(who, done=say(bp.current_request, done, name=name[:63]))


@bp.route("/admin/deliveries/{delivery_id}/retry", methods=["POST"], content_types=["*/*"])
@needs("incidents.act", form=forms.CSRF_FORM, page=True)
def retry_from_page(delivery_id: str) -> Response:
    who = caller()
    form = _form()
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
        try:
            row = retry_dead(delivery_id[:64])
        except DeliveryModel.DoesNotExist:
            raise NotFound(N_("no delivery %(delivery_id)s"), values={"delivery_id": repr(delivery_id[:64])}) from None
    except SharedwatchError as exc:
        return error_page(exc)
    audit(bp.current_request, who, action="delivery.retry", target=row.delivery_id, after={"status": row.status})
    done = N_("Delivery %(id)s retried: %(status)s.")
    return _overview(who, done=say(bp.current_request, done, id=row.delivery_id, status=row.status))
