"""The installable web app and the ways to report: GET /manifest.webmanifest (its Web Share
Target makes "Share -> sharedwatch" on a phone open a pre-filled report), GET /icons/{name}
(the manifest's icons) and GET /how-to-report (the three ways to report, the bookmarklet and
installing the app, on one page)."""

from __future__ import annotations

import json
from functools import lru_cache
from urllib.parse import quote

from chalice.app import Blueprint, Response

from chalicelib.api.routes import public
from chalicelib.errors import NotFound
from chalicelib.i18n import N_
from chalicelib.settings import get_settings
from chalicelib.web import page, static_bytes

bp = Blueprint(__name__)
ICONS = {"icon-192.png": "192x192", "icon-512.png": "512x512"}


def manifest() -> dict[str, object]:
    """The web app manifest; `share_target` posts what is shared to POST /report/share."""
    return {
        "name": "sharedwatch: report what you saw",
        "short_name": "sharedwatch",
        "description": "Report a post, review or video about us in one tap.",
        "id": "/report",
        "start_url": "/report",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f5f7f9",
        "theme_color": "#14346e",
        "icons": [
            {"src": f"/icons/{name}", "sizes": size, "type": "image/png", "purpose": "any"}
            for name, size in ICONS.items()
        ],
        "share_target": {
            "action": "/report/share",
            "method": "POST",
            "enctype": "multipart/form-data",
            "params": {
                "title": "title",
                "text": "text",
                "url": "url",
                "files": [{"name": "screenshot", "accept": ["image/*"]}],
            },
        },
    }


@bp.route("/manifest.webmanifest", methods=["GET"])
@public("the installable app's manifest")
def web_manifest() -> Response:
    return Response(
        body=json.dumps(manifest()),
        status_code=200,
        headers={"Content-Type": "application/manifest+json", "Cache-Control": "max-age=3600"},
    )


@lru_cache(maxsize=len(ICONS))
def _icon(name: str) -> bytes:
    return static_bytes(name)


@bp.route("/icons/{name}", methods=["GET"])
@public("the app's icons")
def icon(name: str) -> Response:
    if name not in ICONS:
        raise NotFound(
            N_("no icon %(name)s: the icons are %(icons)s"), values={"name": repr(name[:40]), "icons": ", ".join(ICONS)}
        )
    return Response(
        body=_icon(name),
        status_code=200,
        headers={"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=86400"},
    )


def bookmarklet(base_url: str) -> str:
    """A bookmark that opens our report form with the page it is used on (its address and any
    selected text): it only opens /report?url=...&text=... in a new tab; nothing runs on our pages."""
    target = json.dumps(f"{base_url}/report?url=")
    return (
        "javascript:(function(){window.open("
        f"{target}+encodeURIComponent(location.href)+'&text='+encodeURIComponent(String(getSelection())),"
        "'_blank','noopener')})()"
    )


@bp.route("/how-to-report", methods=["GET"])
@public("how anyone reports a post")
def how_to_report() -> Response:
    settings = get_settings()
    # The bookmark runs on another site's page, so it names our origin in full.
    host = bp.current_request.headers.get("host") or "localhost"
    return page(
        "how_to_report.html",
        reports_address=settings.reports_address,
        bookmarklet=bookmarklet(settings.public_base_url or f"https://{host}"),
        example=f"/report?url={quote('https://www.tiktok.com/@someone/video/1', safe='')}&text="
        + quote("A video about our gate staff", safe=""),
    )
