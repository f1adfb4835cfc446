"""The social team's inbox: mentions newest first, filtered and searched (`GET /api/mentions`,
the page `/inbox`), one mention with its triage and reasons, its story and what was sent
because of it (`GET /api/mentions/{id}`, `/mentions/{id}`), and corrections of its triage."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from chalice.app import Blueprint, Response

from chalicelib.api import forms, schemas
from chalicelib.api.auth import actor, check_csrf, csrf_token, reader_for, say
from chalicelib.api.problems import json_response, read_form, read_form_pairs, read_json
from chalicelib.api.routes import caller, needs, public
from chalicelib.bodies import whole_number
from chalicelib.clock import isoformat, utcnow
from chalicelib.errors import InvalidPayload, InvalidQuery, NotFound, SharedwatchError
from chalicelib.flows.corrections import correct, export
from chalicelib.flows.translations import translation_for
from chalicelib.i18n import N_
from chalicelib.policy.access import allows
from chalicelib.policy.search import FACETS, SENTIMENTS, SEVERITIES, owner_term, parse_search
from chalicelib.policy.stories import alias_key
from chalicelib.records import CHANNELS
from chalicelib.sources import REGISTRY
from chalicelib.store.audit import record
from chalicelib.store.config import current_taxonomy
from chalicelib.store.models import ClusterModel, DeliveryModel, MentionModel
from chalicelib.store.search import search_mentions, search_reports
from chalicelib.store.stories import story_of_post
from chalicelib.web import error_page, page, static_file

bp = Blueprint(__name__)


def _params() -> dict[str, str]:
    return {k: v for k, v in dict(bp.current_request.query_params or {}).items() if isinstance(v, str)}


def _search(params: dict[str, str]) -> dict[str, Any]:
    search = parse_search(params, now=utcnow(), sources=sorted(REGISTRY))
    found = search_mentions(search, cursor=params.get("cursor", "")[:600])
    return {
        "mentions": found.items,
        "cursor": found.cursor or None,
        "complete": found.complete,
        "requests": found.requests,
        "scanned": found.scanned,
    }


def _report_search(params: dict[str, str], *, extra_terms: tuple[str, ...] = ()) -> dict[str, Any]:
    search = parse_search(params, now=utcnow(), sources=CHANNELS)  # a report's source is its channel
    search = replace(search, terms=(*search.terms, *extra_terms))
    found = search_reports(search, cursor=params.get("cursor", "")[:600])
    return {
        "reports": found.items,
        "cursor": found.cursor or None,
        "complete": found.complete,
        "requests": found.requests,
    }


@bp.route("/api/reports", methods=["GET"])
@needs("incidents.read")
def list_reports() -> Response:
    """Employee reports newest first, with the inbox's filters (and `urgency`, `status`)."""
    return json_response(_report_search(_params()))


@bp.route("/api/me/reports", methods=["GET"])
@needs("self")
def my_reports() -> Response:
    """Your own reports, newest first: those you filed signed in, mailed from your company
    account (authenticated), or confirmed from the link sent to your address. A report someone
    else filed with your address typed in is not yours until you confirm it."""
    who = caller()
    return json_response(_report_search(_params(), extra_terms=(owner_term(who.id),)))


@bp.route("/api/mentions", methods=["GET"])
@needs("incidents.read")
def list_mentions() -> Response:
    """Newest first. `q` (words), `since`/`until`, `source`, `platform`, `sentiment`, `complaint`,
    `department`, `severity`, `kind`, `language`, `brand`, `kudos`, `limit`, `cursor`."""
    return json_response(_search(_params()))


def item_deliveries(*item_ids: str) -> list[dict[str, Any]]:
    """What the delivery log holds for these mentions, reports or incidents, oldest claim first."""
    out = []
    for item_id in item_ids:
        if item_id:
            for row in DeliveryModel.item_index.query(item_id, limit=50):
                out.append(
                    {
                        "group": row.group,
                        "subject": row.subject,
                        "status": row.status,
                        "claimed_at": isoformat(row.claimed_at),
                        "sent_at": isoformat(row.sent_at) if row.sent_at else None,
                        "reasons": [str(r) for r in row.reasons or []],
                        "kind": row.item_kind,
                    }
                )
    return sorted(out, key=lambda d: d["claimed_at"])


def mention_document(mention_id: str) -> dict[str, Any]:
    try:
        row = MentionModel.get(mention_id[:64], consistent_read=True)
    except MentionModel.DoesNotExist:
        raise NotFound(N_("no mention %(mention_id)s"), values={"mention_id": repr(mention_id[:40])}) from None
    story: dict[str, Any] | None = None
    try:
        cluster = ClusterModel.get(story_of_post(alias_key(row.mention_id, row.drill or "")))
        story = {
            "id": cluster.cluster_id,
            "title": cluster.title,
            "copies": int(cluster.size),
            "reach": int(cluster.reach),
            "negative": int(cluster.negative),
            "reports": int(cluster.reports),
            "velocity_10min": int(cluster.window_count),
            "first_seen": isoformat(cluster.first_seen),
            "last_seen": isoformat(cluster.last_seen),
            "severity": cluster.severity,
            "incident": cluster.incident_id,
        }
    except ClusterModel.DoesNotExist:
        pass
    return {
        "id": row.mention_id,
        "text": row.text,
        "url": row.url,
        "source": row.source,
        "sources": sorted(row.sources or []),
        "platform": row.platform,
        "author": {"handle": row.author_handle, "name": row.author_name, "followers": int(row.author_followers)},
        "published_at": isoformat(row.published_at),
        "received_at": isoformat(row.received_at),
        "lang": row.lang,
        "brand": row.brand,
        "triage": {
            "sentiment": row.sentiment_label or "unscored",
            "sentiment_score": float(row.sentiment_score),
            "departments": list(row.departments or []),
            "risk_terms": list(row.risk_terms or []),
            "severity": row.severity or "low",
            "severity_reasons": list(row.severity_reasons or []),
            "kudos": bool(row.kudos),
            "complaint": bool(row.complaint),
        },
        "corrections": list(row.corrections or []),
        "story": story,
        "sent": item_deliveries(row.mention_id, (story or {}).get("incident") or ""),
    }


@bp.route("/api/mentions/{mention_id}", methods=["GET"])
@needs("incidents.read")
def get_mention(mention_id: str) -> Response:
    return json_response(mention_document(mention_id))


def _departments() -> set[str]:
    taxonomy, _ = current_taxonomy()
    return set(taxonomy.names)


@bp.route("/api/mentions/{mention_id}/corrections", methods=["POST"], content_types=["*/*"])
@needs("incidents.act", body=schemas.CORRECTION)
def correct_mention(mention_id: str) -> Response:
    """{"field": "departments", "value": ["baggage"], "why": "not us: that is baggage"}:
    sentiment, departments or kudos; groups the corrected mention now reaches are told once."""
    who = caller()
    done = correct(
        mention_id=mention_id[:64],
        doc=read_json(bp.current_request),
        actor=actor(bp.current_request, who),
        departments=_departments(),
        now=utcnow(),
    )
    return json_response(done, status=201)


@bp.route("/api/corrections", methods=["GET"])
@needs("config.read")
def export_corrections() -> Response:
    """Every correction people made (`?days=30`, at most 366) with the text it was made on, oldest
    first, as JSON lines a `make eval` reads back as labels (SHAREDWATCH_CORRECTIONS=file)."""
    days = whole_number(dict(bp.current_request.query_params or {}).get("days", "30"), digits=3)
    if days is None or not 1 <= days <= 366:
        raise InvalidQuery(N_("days: 1 to 366"))
    now = utcnow()
    rows = export(since=now - timedelta(days=days), until=now)
    return Response(
        body="".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
        status_code=200,
        headers={"Content-Type": "application/x-ndjson; charset=utf-8"},
    )


# Pages ------------------------------------------------------------------------------------------


@bp.route("/inbox", methods=["GET"])
@needs("incidents.read", page=True)
def inbox_page() -> Response:
    who = caller()
    params = _params()
    filters = {k: v for k, v in params.items() if k in (*FACETS, "q", "since", "until") and v}
    try:
        found, problems = _search(params), []
    except InvalidPayload as exc:
        found, problems = {"mentions": [], "cursor": None, "complete": True}, list(exc.extra.get("errors", []))
    older = "/inbox?" + urlencode({**filters, "cursor": found["cursor"]}) if found["cursor"] else ""
    return page(
        "inbox.html",
        reader=reader_for(bp.current_request),
        live=True,
        live_url="/api/mentions?" + urlencode({**filters, "limit": "1"}),
        newest=found["mentions"][0]["id"] if found["mentions"] and not params.get("cursor") else "",
        status=400 if problems else 200,
        person=who.label,
        mentions=found["mentions"],
        filters=filters,
        problems=problems,
        older=older,
        complete=found["complete"],
        sentiments=SENTIMENTS,
        severities=SEVERITIES,
        departments=sorted(_departments()),
    )


@bp.route("/console/{asset}", methods=["GET"])
@public("the console's static script and styles")
def console_asset(asset: str) -> Response:
    """The console's one script (see web/static/console.js)."""
    if asset != "console.js":
        raise NotFound(N_("no console asset %(asset)s: there is console.js"), values={"asset": repr(asset[:40])})
    return Response(
        body=static_file("console.js"),
        status_code=200,
        headers={
            "Content-Type": "text/javascript; charset=utf-8",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "max-age=300",
        },
    )


@bp.route("/mentions/{mention_id}", methods=["GET"])
@needs("incidents.read", page=True)
def mention_page(mention_id: str) -> Response:
    who = caller()
    return _mention_page(who.label, who.session_id, allows(who.role, "incidents.act"), mention_id)


def _mention_page(person: str, session_id: str, may_act: bool, mention_id: str, **extra: Any) -> Response:
    try:
        doc = mention_document(mention_id)
    except NotFound as exc:
        return page("error.html", status=404, title=exc.title, detail=exc.detail, back="")
    if "translation" not in extra:  # what is cached for this reader, or an offer to translate
        extra["translation"] = translation_for(
            mention_id=doc["id"],
            text=doc["text"],
            lang=doc["lang"],
            reader=reader_for(bp.current_request).language,
            now=utcnow(),
            ask=False,
        )
    return page(
        "mention.html",
        reader=reader_for(bp.current_request),
        status=int(extra.pop("status", 200)),
        person=person,
        m=doc,
        may_act=may_act,
        csrf=csrf_token(session_id),
        departments=sorted(_departments()),
        **extra,
    )


@bp.route("/mentions/{mention_id}/translate", methods=["POST"], content_types=["*/*"])
@needs("incidents.read", back="/mentions/{mention_id}")
def translate_from_page(mention_id: str) -> Response:
    """The mention in the reader's language, beside the original (Amazon Translate, where the
    deployment allows it): cached on the mention, so the next reader of that language pays nothing."""
    request = bp.current_request
    who = caller()
    form = read_form(request, fields=2)
    try:
        check_csrf(str(form.get("csrf", "")), who.session_id)
        doc = mention_document(mention_id)
    except SharedwatchError as exc:
        return error_page(exc, back=f"/mentions/{mention_id[:64]}")
    now = utcnow()
    done = translation_for(
        mention_id=doc["id"],
        text=doc["text"],
        lang=doc["lang"],
        reader=reader_for(request).language,
        now=now,
        ask=True,
    )
    record(
        actor=actor(request, who),
        action="mention.translate",
        target=doc["id"],
        now=now,
        after={"language": done.target, "outcome": done.status},
    )
    return _mention_page(who.label, who.session_id, allows(who.role, "incidents.act"), mention_id, translation=done)


@bp.route("/mentions/{mention_id}/correct", methods=["POST"], content_types=["*/*"])
@needs("incidents.act", form=forms.CORRECTION_FORM, back="/mentions/{mention_id}")
def correct_from_page(mention_id: str) -> Response:
    request = bp.current_request
    who = caller()
    form = read_form_pairs(request, fields=40)
    fields: dict[str, list[str]] = {}
    for key, entry in form:
        fields.setdefault(key, []).append(entry)
    try:
        check_csrf((fields.get("csrf") or [""])[0], who.session_id)
        name = (fields.get("field") or [""])[0]
        values = [v for v in fields.get("value", []) if v]  # the text box and the department list
        chosen: Any = values if name == "departments" else (values[0] if values else "")
        if name == "kudos":
            chosen = chosen == "yes"
        done = correct(
            mention_id=mention_id[:64],
            doc={"field": name, "value": chosen, "why": (fields.get("why") or [""])[0]},
            actor=actor(request, who),
            departments=_departments(),
            now=utcnow(),
        )
    except InvalidPayload as exc:
        return _mention_page(
            who.label, who.session_id, True, mention_id, status=400, problems=exc.extra.get("errors") or [exc.detail]
        )
    except SharedwatchError as exc:
        return error_page(exc)
    banner = (
        say(bp.current_request, N_("Corrected. Told because of it: %(groups)s."), groups=", ".join(done["told"]))
        if done["told"]
        else say(bp.current_request, N_("Corrected. Nobody new was told because of it."))
    )
    return _mention_page(who.label, who.session_id, True, mention_id, done=banner)
