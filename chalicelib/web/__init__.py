"""Server-rendered pages: Jinja2 with autoescaping everywhere, one inline stylesheet allowed by
its hash under a strict Content-Security-Policy (no script at all on these pages)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalice.app import Response

from chalicelib.errors import SharedwatchError

_HERE = Path(__file__).parent


@lru_cache(maxsize=1)
def _stylesheet() -> tuple[str, str]:
    css = (_HERE / "static" / "app.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, f"'sha256-{digest}'"


@lru_cache(maxsize=1)
def _environment() -> Any:
    # Jinja2 is imported on first render: most invocations (webhooks, streams) never render.
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    return environment


def when(value: object) -> str:
    """An ISO time as people read it: "2026-11-30 10:34 UTC" (anything else as it is)."""
    text = str(value or "")
    if len(text) >= 16 and text[10] == "T":
        return f"{text[:10]} {text[11:16]} UTC"
    return text


def render(template: str, **context: Any) -> str:
    """A template as text (the dark site's page, written to S3): its own stylesheet inline."""
    css, _ = _stylesheet()
    return str(_environment().get_template(template).render(stylesheet=css, live=False, **context))


def page(
    template: str, *, status: int = 200, form_origins: tuple[str, ...] = (), live: bool = False, **context: Any
) -> Response:
    """Render a page; `form_origins` are other places its forms may post to (S3, for uploads);
    `live` lets it load /console/console.js (our own origin only) to say when it has changed."""
    css, css_hash = _stylesheet()
    html = _environment().get_template(template).render(stylesheet=css, live=live, installable=True, **context)
    targets = " ".join(("'self'", *form_origins))
    script = "script-src 'self'; connect-src 'self'; " if live else ""
    csp = (
        f"default-src 'none'; {script}style-src {css_hash}; img-src 'self' data:; manifest-src 'self'; "
        f"form-action {targets}; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return Response(
        body=html,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def static_file(name: str) -> str:
    return (_HERE / "static" / name).read_text(encoding="utf-8")


def error_page(exc: SharedwatchError, *, back: str = "") -> Response:
    """The page a refused form or link shows: the error's own status, title and detail."""
    return page("error.html", status=exc.status, title=exc.title, detail=exc.detail, back=back)


def static_bytes(name: str) -> bytes:
    return (_HERE / "static" / name).read_bytes()
