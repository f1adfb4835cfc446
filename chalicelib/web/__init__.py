"""Server-rendered pages: Jinja2 with autoescaping everywhere, one inline stylesheet allowed by
its hash under a strict Content-Security-Policy (no script at all on these pages). Each page is
rendered for a reader (chalicelib/i18n.py): Jinja2's i18n extension with that reader's
catalogue (newstyle gettext: placeholders are filled and escaped by name), their language and
direction on <html>, and times in their zone."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalice.app import Response

from chalicelib.errors import SharedwatchError
from chalicelib.i18n import ENGLISH, N_, Reader

_HERE = Path(__file__).parent
# Who reads the page the request being answered renders, when its route does not say: the HTTP
# middleware sets how to find out (asked only when a page is rendered, so an API call or a
# webhook resolves nobody's language).
_REQUEST_READER: ContextVar[Callable[[], Reader] | None] = ContextVar("sharedwatch_reader", default=None)


def read_for_request(source: Callable[[], Reader] | None) -> None:
    """How this request's pages find their reader (the middleware: the signed-in person's
    language and zone, else the browser's Accept-Language)."""
    _REQUEST_READER.set(source)


def _request_reader() -> Reader:
    source = _REQUEST_READER.get()
    return source() if source is not None else ENGLISH


# The values pages show as words (statuses, severities, sentiments): the `word` filter shows
# them in the reader's language, and anything else (data) exactly as it is.
WORDS = frozenset(
    {
        N_("open"),
        N_("acknowledged"),
        N_("resolved"),
        N_("low"),
        N_("medium"),
        N_("high"),
        N_("critical"),
        N_("positive"),
        N_("neutral"),
        N_("negative"),
        N_("unscored"),
        N_("draft"),
        N_("approved"),
        N_("published"),
        N_("done"),
        # What reached people (the incident page's read rates).
        N_("brief"),
        N_("update"),
        N_("statement"),
        # A drill's state.
        N_("running"),
        N_("ended"),
    }
) | frozenset(
    # An incident timeline's event names (policy/stories.timeline_entry's first argument).
    {
        N_("opened"),
        N_("reopened"),
        N_("came back"),
        N_("jumped"),
        N_("severity raised"),
        N_("notified"),
        N_("held"),
        N_("escalated"),
        N_("reminded"),
        N_("assigned"),
        N_("note"),
        N_("report linked"),
        N_("reporters told"),
        N_("groups told"),
        N_("plan started"),
        N_("plan joined"),
        N_("plan closed"),
        N_("incident joined the plan"),
        N_("statements drafted"),
        N_("statement edited"),
        N_("statement approved"),
        N_("statement ready"),
        N_("statement published"),
        N_("stakeholders updated"),
        N_("task done"),
        N_("task overdue"),
    }
)


@lru_cache(maxsize=1)
def _stylesheet() -> tuple[str, str]:
    css = (_HERE / "static" / "app.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, f"'sha256-{digest}'"


@lru_cache(maxsize=8)
def _environment(language: str = "en") -> Any:
    # Jinja2 is imported on first render: most invocations (webhooks, streams) never render.
    # One environment per language: gettext is installed on an environment, not per render.
    from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]  # added by the i18n extension
        Reader.of(language).translator, newstyle=True
    )
    environment.filters["when"] = pass_context(lambda context, value: when(value, reader=context.get("reader")))
    environment.filters["number"] = pass_context(lambda context, value: _reader(context.get("reader")).number(value))
    environment.filters["word"] = pass_context(lambda context, value: word(value, reader=context.get("reader")))
    return environment


def _reader(value: object) -> Reader:
    return value if isinstance(value, Reader) else ENGLISH


def word(value: object, *, reader: object = None) -> str:
    """A status, severity or sentiment in the reader's language; any other value as it is."""
    text = str(value or "")
    return _reader(reader).gettext(text) if text in WORDS else text


def when(value: object, *, reader: object = None) -> str:
    """A time as its reader reads it (an ISO string or a datetime): English in UTC reads
    "2026-11-30 10:34 UTC"; anything that is not a time is shown as it is."""
    from chalicelib.clock import parse_timestamp

    if isinstance(value, datetime):
        return _reader(reader).when(value)
    text = str(value or "")
    if len(text) >= 16 and text[10] == "T":
        try:
            return _reader(reader).when(parse_timestamp(text))
        except ValueError:
            return f"{text[:10]} {text[11:16]} UTC"
    return text


def render(template: str, *, reader: Reader = ENGLISH, **context: Any) -> str:
    """A template as text (the dark site's page, written to S3): its own stylesheet inline."""
    css, _ = _stylesheet()
    environment = _environment(reader.language)
    return str(
        environment.get_template(template).render(
            stylesheet=css, live=False, reader=reader, lang=reader.language, dir=reader.direction, **context
        )
    )


def page(
    template: str,
    *,
    status: int = 200,
    form_origins: tuple[str, ...] = (),
    live: bool = False,
    reader: Reader | None = None,
    **context: Any,
) -> Response:
    """Render a page for its reader (by default the request's: read_for_request);
    `form_origins` are other places its forms may post to (S3, for uploads); `live` lets it
    load /console/console.js (our own origin only) to say when it has changed."""
    reader = reader or _request_reader()
    css, css_hash = _stylesheet()
    html = (
        _environment(reader.language)
        .get_template(template)
        .render(
            stylesheet=css,
            live=live,
            installable=True,
            reader=reader,
            lang=reader.language,
            dir=reader.direction,
            **context,
        )
    )
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
            "Content-Language": reader.language,
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def static_file(name: str) -> str:
    return (_HERE / "static" / name).read_text(encoding="utf-8")


def error_page(exc: SharedwatchError, *, back: str = "", reader: Reader | None = None) -> Response:
    """The page a refused form or link shows: the error's own status, title and detail (in the
    reader's language where the error was raised in it: chalicelib/errors.py's titles are)."""
    reader = reader or _request_reader()
    exc.for_reader(reader)
    return page("error.html", status=exc.status, title=exc.title, detail=exc.detail, back=back, reader=reader)


def static_bytes(name: str) -> bytes:
    return (_HERE / "static" / name).read_bytes()
