"""The office wall: `GET /wall` (a static page and its script, no token in it: the token is in
the URL's fragment, which browsers never send) and `GET /api/wall` (display token), polled with
a cursor and an ETag.

Cost: the router keeps one snapshot item ready, so a poll is at most one GetItem; every screen
in a process shares the last read for a couple of seconds, and a screen whose ETag matches gets
a 304 and an empty body."""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import credentials
from chalicelib.api import schemas
from chalicelib.api.auth import Screen, audit, require_display_token
from chalicelib.api.problems import json_response, read_json
from chalicelib.api.routes import caller, needs, public, signed
from chalicelib.clock import isoformat, parse_timestamp, utcnow
from chalicelib.errors import InvalidPayload, NotFound
from chalicelib.i18n import LANGUAGES, N_, wall_catalogue
from chalicelib.policy.access import Principal
from chalicelib.settings import get_settings
from chalicelib.store import wall
from chalicelib.store.config import load_routing
from chalicelib.store.counters import series_label
from chalicelib.triage.severity import LEVELS, at_least
from chalicelib.web import static_file

bp = Blueprint(__name__)
SHARED_SECONDS = 2.0  # screens polling within this share one read
_HANDLE = re.compile(r"@\w{1,30}")
_SCREEN = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
_cache: tuple[float, int, dict[str, Any]] | None = None

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _snapshot() -> tuple[int, dict[str, Any]]:
    global _cache
    now = time.monotonic()
    if _cache is not None and now - _cache[0] < SHARED_SECONDS:
        return _cache[1], _cache[2]
    version, doc = wall.read_snapshot()
    _cache = (now, version, doc)
    return version, doc


def clear_cache() -> None:
    global _cache
    _cache = None


@lru_cache(maxsize=4)
def _static(name: str) -> str:
    return static_file(name)


@bp.route("/wall", methods=["GET"])
@public("the wall's page; its data needs a display token or a sign-in")
def wall_page() -> Response:
    return Response(
        body=_static("wall.html"),
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


@lru_cache(maxsize=len(LANGUAGES))
def _wall_messages(language: str) -> str:
    return wall_catalogue(language)


@bp.route("/wall/{asset}", methods=["GET"])
@public("the wall's static script and styles")
def wall_asset(asset: str) -> Response:
    kinds = {"wall.js": "text/javascript; charset=utf-8", "wall.css": "text/css; charset=utf-8"}
    catalogues = {f"messages.{language}.json": language for language in LANGUAGES if language != "en"}
    if asset in catalogues:  # the screen's strings in its language, built from the .po catalogues
        return Response(
            body=_wall_messages(catalogues[asset]),
            status_code=200,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "max-age=300",
            },
        )
    if asset not in kinds:
        raise NotFound(
            N_("no wall asset %(asset)s: the wall has wall.js, wall.css and messages.<lang>.json"),
            values={"asset": repr(asset[:40])},
        )
    return Response(
        body=_static(asset),
        status_code=200,
        headers={"Content-Type": kinds[asset], "X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=300"},
    )


def _series(table: dict[str, list[float]], keys: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "t": k,
            "n": int(table.get(k, [0, 0, 0])[0]),
            "pos": int(table.get(k, [0, 0, 0])[1]),
            "neg": int(table.get(k, [0, 0, 0])[2]),
        }
        for k in keys
    ]


def _mood(rows: list[list[float]]) -> dict[str, Any]:
    n = sum(r[0] for r in rows)
    if not n:
        return {"n": 0, "negative_share": None, "positive_share": None}
    return {
        "n": int(n),
        "negative_share": round(sum(r[2] for r in rows) / n, 3),
        "positive_share": round(sum(r[1] for r in rows) / n, 3),
    }


def gauge(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The last hour's mood against the same hour on the days before (the usual for this hour)."""
    minutes = doc.get("minutes", {})
    current = _mood([v for k, v in minutes.items() if k > f"{now - timedelta(minutes=60):%Y-%m-%dT%H:%M}"])
    hours = doc.get("hours", {})
    usual_rows = [hours[k] for d in range(1, 8) if (k := f"{now - timedelta(days=d):%Y-%m-%dT%H}") in hours]
    usual = _mood(usual_rows)
    verdict = "no history yet"
    if current["negative_share"] is not None and usual["negative_share"] is not None:
        delta = current["negative_share"] - usual["negative_share"]
        verdict = "worse than usual" if delta > 0.1 else "better than usual" if delta < -0.1 else "as usual"
    return {"now": current, "usual": usual, "verdict": verdict}


def _lobby_safe(entry: dict[str, Any]) -> dict[str, Any]:
    """Screens visitors can see: no handles, names, links or reach."""
    safe = {**entry, "author": "", "url": "", "followers": 0}
    if "text" in safe:
        safe["text"] = _HANDLE.sub("@…", str(safe["text"]))
    return safe


@lru_cache(maxsize=64)
def _qr(url: str) -> str:
    import segno  # only the wall draws QR codes

    data_uri: str = segno.make(url, error="m").svg_data_uri(scale=4, border=2, dark="#111", light="#fff")
    return data_uri


def _incident_view(entry: dict[str, Any], *, now: datetime, lobby: bool) -> dict[str, Any]:
    view = {**entry}
    if entry.get("next_action_at") and entry["status"] == "open":
        view["escalates_in"] = max(0, int((parse_timestamp(entry["next_action_at"]) - now).total_seconds()))
    if entry["status"] == "open" and not lobby:
        # Scanning the code opens the incident's page, which asks the person to sign in before
        # anything can be acknowledged; the code names the level it was shown at and stops
        # working once the incident is no longer open at that level. It carries no secret.
        level = int(entry.get("level") or 0)
        view["qr"] = _qr(f"{get_settings().public_base_url}/incidents/{entry['id']}?at={entry['severity']}-{level}")
    if lobby:
        view["acknowledged_by"] = None
    return view


def in_scope(entry: dict[str, Any], *, department: str, brand: str) -> bool:
    """Whether a stream entry belongs on a department's or a brand's wall."""
    if department and department not in entry.get("departments", []):
        return False
    return not brand or series_label(str(entry.get("brand", ""))) == series_label(brand)


def view(
    doc: dict[str, Any],
    *,
    version: int,
    now: datetime,
    lobby: bool,
    cursor: str,
    department: str = "",
    brand: str = "",
    owner_group: str = "",
) -> dict[str, Any]:
    """The wall's data for one screen. A scoped screen (a department's or a brand's wall) shows
    that part of the stream, praise, ledger and alarms, and the incidents its stories opened (or
    its department's group owns); the mood and volume charts stay the whole company's."""
    stream = list(doc.get("stream", []))
    scoped = bool(department or brand)
    if scoped:
        stream = [e for e in stream if in_scope(e, department=department, brand=brand)]
    fresh = [e for e in stream if not cursor or e["key"] > cursor]
    safe = _lobby_safe if lobby else (lambda e: e)
    minute_keys = [f"{now - timedelta(minutes=m):%Y-%m-%dT%H:%M}" for m in range(59, -1, -1)]
    hour_keys = [f"{now - timedelta(hours=h):%Y-%m-%dT%H}" for h in range(23, -1, -1)]
    clusters = {e.get("cluster") for e in stream if e.get("cluster")}
    every = list(doc.get("incidents", {}).values())
    if scoped:
        every = [
            i for i in every if i.get("cluster") in clusters or (owner_group and i.get("owner_slug") == owner_group)
        ]
    incidents = sorted(
        every,
        key=lambda i: (
            i["status"] == "resolved",
            -LEVELS.index(i["severity"]),
            i["opened_at"],
        ),
    )
    active = [i for i in incidents if i["status"] != "resolved"]
    crisis = next((i for i in active if at_least(i["severity"], "high")), None)
    ledger = doc.get("ledger", {})
    today = ledger.get("departments", {}) if ledger.get("day") == f"{now:%Y-%m-%d}" else {}
    kudos = [k for k in doc.get("kudos", []) if not department or department in k.get("departments", [])]
    spotted = [s for s in doc.get("spotted", []) if not department or s.get("department") == department]
    alarms = doc.get("alarms", [])
    if scoped:
        keys = {f"department {series_label(department)}"} if department else {f"brand {series_label(brand)}"}
        alarms = [a for a in alarms if a.get("key") in keys]
        today = {d: c for d, c in today.items() if not department or d == department}
    return {
        "version": version,
        "cursor": stream[0]["key"] if stream else cursor,
        "full": not cursor,
        "generated_at": isoformat(now),
        "data_updated_at": doc.get("updated_at"),
        "lobby": lobby,
        "scope": {"department": department, "brand": brand} if scoped else None,
        "stream": [safe(e) for e in fresh],
        "gauge": gauge(doc, now),
        "minutes": _series(doc.get("minutes", {}), minute_keys),
        "hours": _series(doc.get("hours", {}), hour_keys),
        "ledger": sorted(
            ({"department": d, "positive": c[0], "negative": c[1]} for d, c in today.items()),
            key=lambda r: -(r["positive"] + r["negative"]),
        ),
        "kudos": [safe(k) for k in kudos],
        "spotted": [safe(s) for s in spotted],
        "alarms": [{k: a.get(k) for k in ("key", "kind", "at", "explanation")} for a in alarms[:5]],
        # Approved case cards (redacted), rotated while nothing is open; a lobby shows none:
        # what we learnt from our incidents is for staff.
        "cases": []
        if lobby
        else [c for c in doc.get("cases", []) if not department or department in (c.get("departments") or [])],
        # Running watchfulness exercises (each marked DRILL): for staff, never a lobby.
        "exercises": []
        if lobby
        else [e for e in doc.get("exercises", []) if not department or department in (e.get("departments") or [])],
        "incidents": [_incident_view(i, now=now, lobby=lobby) for i in incidents],
        "crisis": None
        if crisis is None
        else {
            **_incident_view(crisis, now=now, lobby=lobby),
            "story": [safe(e) for e in stream if crisis.get("cluster") and e.get("cluster") == crisis["cluster"]][:8],
            # The approved holding statement, once published: what everyone may say.
            "statement": doc.get("statements", {}).get(crisis["id"]),
        },
    }


@bp.route("/api/wall", methods=["GET"])
@signed("display token", "a wall screen's display token, or anyone signed in")
def wall_data() -> Response:
    request = bp.current_request
    screen = require_display_token(request) or Screen()
    query = dict(request.query_params or {})
    # Lobby and scope are the screen token's property: the browser may ask for lobby, never out
    # of it, and a scoped screen shows its scope whatever it asks. A person may pick any wall.
    lobby = screen.lobby or query.get("lobby") in ("1", "true", "yes")
    department = screen.department or (query.get("department", "")[:63] if not screen.brand else "")
    brand = screen.brand or (query.get("brand", "")[:128] if not screen.department else "")
    config = load_routing()
    if department and department not in config.departments:
        raise NotFound(N_("no department %(department)s"), values={"department": repr(department[:40])})
    cursor = query.get("cursor", "")[:80]
    version, doc = _snapshot()
    # The cursor is not part of it: a screen always sends the cursor of the data its ETag names.
    etag = f'W/"{version}-{int(lobby)}-{series_label(department)}-{series_label(brand)}"'
    headers: dict[str, str] = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Authorization"}
    if request.headers.get("if-none-match") == etag:
        return Response(body="", status_code=304, headers=dict(headers))
    owner = config.departments[department].group if department else ""
    data = view(
        doc,
        version=version,
        now=utcnow(),
        lobby=lobby,
        cursor=cursor,
        department=department,
        brand=brand,
        owner_group=owner,
    )
    if department:
        data["scope"]["name"] = config.departments[department].name
    return json_response(data, headers=headers)


# -- display tokens: one per screen, revocable (admin token) ------------------------------------


@bp.route("/api/displays", methods=["GET"])
@needs("config.read")
def list_displays() -> Response:
    screens = credentials.display_screens()
    return json_response(
        {
            "displays": sorted(screens),
            "lobby": sorted(n for n, s in screens.items() if s["lobby"]),
            "screens": [
                {"name": n, **{k: v for k, v in s.items() if k != "token"}} for n, s in sorted(screens.items())
            ],
        }
    )


@bp.route("/api/displays", methods=["POST"], content_types=["*/*"])
@needs("config.write", body=schemas.DISPLAY)
def add_display() -> Response:
    """A screen (a new token, shown once): `{"name", "lobby", "department" or "brand"}`."""
    who = caller()
    return json_response(save_screen(bp.current_request, who, read_json(bp.current_request)), status=201)


def save_screen(request: Request, who: Principal, doc: Any) -> dict[str, Any]:
    """Create (or replace) a screen, as the API and the configuration page both do."""
    name = doc.get("name") if isinstance(doc, dict) else None
    if not isinstance(name, str) or not _SCREEN.match(name):
        raise InvalidPayload(N_("name: the screen's name, lowercase letters, digits and dashes (e.g. lobby, floor-3)"))
    spec = screen_spec(doc)
    existing = credentials.display_screens()
    token = secrets.token_urlsafe(24)
    credentials.save_display_screens({**existing, name: {"token": token, **spec}})
    before = {k: v for k, v in existing[name].items() if k != "token"} if name in existing else None
    audit(request, who, action="display.save", target=name, before=before, after=spec)
    return {"name": name, "token": token, **spec, "url": f"{get_settings().public_base_url}/wall#token={token}"}


def revoke_screen(request: Request, who: Principal, name: str) -> None:
    existing = credentials.display_screens()
    if name not in existing:
        raise NotFound(N_("no display %(name)s"), values={"name": repr(name[:40])})
    credentials.save_display_screens({k: v for k, v in existing.items() if k != name})
    audit(request, who, action="display.revoke", target=name, before={"lobby": existing[name]["lobby"]})


def screen_spec(doc: dict[str, Any]) -> dict[str, Any]:
    """A screen's lobby and scope, validated (a 422 lists each wrong part)."""
    problems = []
    lobby = doc.get("lobby", False)
    if not isinstance(lobby, bool):
        problems.append("lobby: true for a screen visitors see (no names, handles, links or codes), else false")
    department, brand = doc.get("department") or "", doc.get("brand") or ""
    if not isinstance(department, str) or (department and department not in load_routing().departments):
        problems.append(
            f"department: an existing department's slug, to show only its wall (got {str(department)[:40]!r})"
        )
    if not isinstance(brand, str) or len(brand) > 128:
        problems.append("brand: a brand name as sources send it, to show only its wall")
    if department and brand:
        problems.append("department, brand: one scope or the other")
    if problems:
        raise InvalidPayload(
            N_("invalid display: %(problems)s"), values={"problems": "; ".join(problems)}, extra={"errors": problems}
        )
    return {"lobby": lobby, "department": department, "brand": brand}


@bp.route("/api/displays/{name}", methods=["DELETE"])
@needs("config.write")
def revoke_display(name: str) -> Response:
    who = caller()
    revoke_screen(bp.current_request, who, name)
    return Response(body="", status_code=204)
