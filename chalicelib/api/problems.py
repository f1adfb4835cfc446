"""RFC 9457 problem details for every error the API answers."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any, ParamSpec
from urllib.parse import parse_qsl, quote, unquote

from chalice.app import ChaliceUnhandledError, Request, Response

from chalicelib import deadline
from chalicelib.bodies import Body, load_json
from chalicelib.clock import utcnow
from chalicelib.errors import (
    HeaderTooLarge,
    InvalidConfiguration,
    InvalidPathParameter,
    InvalidPayload,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    SharedwatchError,
    UnsupportedMediaType,
)
from chalicelib.i18n import N_, Reader, negotiate
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import audit
from chalicelib.web import read_for_request

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "https://sharedwatch.dev/problems/"
P = ParamSpec("P")
_REQUEST: ContextVar[Request | None] = ContextVar("sharedwatch_request", default=None)
# The JSON body the running route declares (api/routes.py): read_json checks what it reads against it.
DECLARED_BODY: ContextVar[Body | None] = ContextVar("sharedwatch_declared_body", default=None)


class PageRefused(ChaliceUnhandledError):
    """A page's visitor is not signed in, or not allowed (api/routes.py): the middleware answers
    `response`, the way to sign in and back or a page saying why. ChaliceUnhandledError: Chalice
    lets it reach the middleware."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"page refused ({response.status_code})")
        self.response = response


def current_request() -> Request:
    """The request the middleware is answering (for declared routes' checks, api/routes.py)."""
    found = _REQUEST.get()
    if found is None:
        raise RuntimeError("no request: current_request() outside the HTTP middleware")
    return found


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_PATH_PARAMETER = 256  # the longest id, slug, token or address a path carries (an address: 254)
MAX_HEADER_CHARS = 8192  # any one header; API Gateway takes 10,240 bytes of headers in all


def problem(*, status: int, title: str, detail: str, slug: str, extra: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    extra = dict(extra or {})
    retry_after = extra.pop("retry_after", 30)
    body.update(extra)
    headers: dict[str, str | list[str]] = {"Content-Type": PROBLEM_TYPE, "Cache-Control": "no-store"}
    if status in (429, 503):
        headers["Retry-After"] = str(retry_after)
    if status == 401 and slug == "unauthorized":
        headers["WWW-Authenticate"] = 'Bearer realm="sharedwatch"'
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=headers)


def from_error(error: SharedwatchError) -> Response:
    return problem(status=error.status, title=error.title, detail=error.detail, slug=error.slug, extra=error.extra)


def correlation_id(request: Request) -> str | None:
    """The sender's delivery id when it sent one, else API Gateway's request id."""
    headers = request.headers
    context = request.context or {}
    return (
        headers.get("webhook-id") or headers.get("svix-id") or headers.get("x-request-id") or context.get("requestId")
    )


def path_parameter_problem(name: str, value: str) -> SharedwatchError | None:
    """The one rule every path parameter meets before a route reads it. Empty is 404 (API
    Gateway matches no route there either); too long, a control character (NUL), a slash or
    `..`, as sent or percent-decoded, is 400. Empty keys once reached DynamoDB, which refused
    them: a 500."""
    if not value:
        return NotFound(f"{name}: empty (nothing is found at an empty path segment)")
    if len(value) > MAX_PATH_PARAMETER:
        return InvalidPathParameter(f"{name}: {len(value)} characters, at most {MAX_PATH_PARAMETER}")
    forms = [value]
    while len(forms) < 4 and (decoded := unquote(forms[-1], errors="replace")) != forms[-1]:
        forms.append(decoded)  # %252e%252e is `..` twice decoded
    for text in forms:
        if any(unicodedata.category(c) == "Cc" for c in text):
            return InvalidPathParameter(f"{name}: holds a control character")
        if "/" in text or "\\" in text or ".." in text:
            return InvalidPathParameter(f"{name}: holds a slash or '..' (a path parameter is a name, not a path)")
    return None


def check_path_parameters(request: Request) -> None:
    for name, value in (request.uri_params or {}).items():
        found = path_parameter_problem(name, str(value))
        if found is not None:
            raise found


def check_header_lengths(request: Request) -> None:
    """Every header is bounded before anything parses one (a signature, a timestamp, a cookie)."""
    for name, value in request.headers.items():
        if len(value) > MAX_HEADER_CHARS:
            raise HeaderTooLarge(
                N_("%(name)s: %(length)s characters, at most %(limit)s"),
                values={"name": name[:64], "length": len(value), "limit": MAX_HEADER_CHARS},
            )


def request_path(request: Request, *, keep_secret: bool = False) -> str:
    """The path asked for (Chalice gives the route's template and the parameters apart); with
    `keep_secret`, a link's token stays `{token}` (a path written down must not carry it)."""
    path = str(request.path)
    for name, value in (request.uri_params or {}).items():
        if not (keep_secret and name == "token"):
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
    return path


def _chalice_error(response: Response) -> Response | None:
    """Chalice's own error answers ({"Code": ..., "Message": ...}: 415, 405, its 500) as
    problems; its 500 without internals."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return None
    status = response.status_code
    if status >= 500:
        return problem(
            status=500,
            title="Internal error",
            detail="the request could not be completed; it has been logged",
            slug="internal",
        )
    slug = re.sub(r"(?<!^)(?=[A-Z])", "-", str(body["Code"]).removesuffix("Error")).lower()
    answer = problem(
        status=status, title=HTTPStatus(status).phrase.capitalize(), detail=str(body["Message"]), slug=slug
    )
    for name, value in response.headers.items():
        if name.lower() == "allow":  # a 405 says what is allowed
            answer.headers[name] = value
    return answer


def _audit_write(request: Request, response: Response, trail: audit.RequestTrail) -> None:
    """A write that succeeded, by someone the request authorised, is on the audit trail: when
    its route wrote no entry of its own, this writes one (what: the route; target: the path)."""
    if request.method in SAFE_METHODS or response.status_code >= 400 or trail.actor is None:
        return
    if trail.recorded or trail.unaudited:
        return
    audit.record(
        actor=trail.actor,
        action=f"{request.method} {request.path}",
        target=request_path(request, keep_secret=True),
        now=utcnow(),
        after={"status": response.status_code},
    )


def answer_problems(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: every log line of a request carries its correlation id; headers are
    bounded and path parameters meet one rule before any route reads them; the exception
    hierarchy and Chalice's own errors become problem responses (anything unexpected, which
    Chalice has logged with its traceback, a 500 problem without internals); a write that
    succeeded is on the audit trail."""
    logger.set_correlation_id(correlation_id(request))
    _REQUEST.set(request)
    read_for_request(functools.partial(_reader_of, request))
    try:
        return _answer(request, get_response)
    finally:
        read_for_request(None)  # a page rendered after this request never reads its reader


def _answer(request: Request, get_response: Callable[[Request], Response]) -> Response:
    try:
        with deadline.budget(get_settings().request_budget_seconds), audit.request_scope() as trail:
            check_header_lengths(request)
            check_path_parameters(request)
            response = get_response(request)
            _audit_write(request, response, trail)
    except PageRefused as refused:
        return refused.response
    except SharedwatchError as exc:
        if exc.status >= 500:
            logger.warning("request failed", extra={"problem": exc.slug, "detail": exc.detail})
        return _in_their_language(request, exc)
    return _chalice_error(response) or response


def _reader_of(request: Request) -> Reader:
    """The reader of a page this request renders (asked only when one is)."""
    from chalicelib.api.auth import reader_for  # (auth reads this module)

    return reader_for(request)


def _in_their_language(request: Request, exc: SharedwatchError) -> Response:
    """A problem's title in the language the client's Accept-Language asks for (a person's
    browser); English for a client that asks for none. So is its detail where it was raised as
    a whole N_() sentence (errors.SharedwatchError.for_reader); the webhooks' stay English."""
    header = request.headers.get("accept-language") or ""
    if not header:
        return from_error(exc)
    reader = Reader.of(negotiate(header))
    answer = from_error(exc.for_reader(reader) if reader.language != "en" else exc)
    answer.headers["Content-Language"] = reader.language
    answer.headers["Vary"] = "Accept-Language"
    return answer


def unaudited(why: str) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Declares a write route that leaves no audit entry, and why (signals coming in, kept as
    themselves with their source; dry runs, which change nothing). Every other write that
    succeeds is on the trail (tests/functional/test_audit_walk.py walks them all)."""

    def declare(view: Callable[P, Response]) -> Callable[P, Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            audit.set_aside(why)
            return view(*args, **kwargs)

        wrapper.unaudited = why  # type: ignore[attr-defined]
        return wrapper

    return declare


def configuration_view[**P](view: Callable[P, Response]) -> Callable[P, Response]:
    """Saving configuration (rules, policies, groups, windows): what does not validate is a 400
    that says which part is wrong, and nothing of it is stored."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return view(*args, **kwargs)
        except InvalidPayload as exc:
            # The sentence and its values, not the filled detail: for_reader translates it then.
            raise InvalidConfiguration(exc.message, extra=exc.extra, values=exc.values) from None

    return wrapper


def media_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()


def raw_body(request: Request) -> bytes:
    body = request.raw_body
    return body.encode("utf-8") if isinstance(body, str) else (body or b"")


def json_response(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def read_json(request: Request) -> Any:
    """A JSON request body, or the problem that says why not (size, media type, syntax, or the
    schema the route declares: a 422 naming each wrong path)."""
    body = raw_body(request)
    limit = get_settings().max_body_bytes
    if len(body) > limit:
        raise PayloadTooLarge(
            N_("body is %(size)s bytes, at most %(limit)s"), values={"size": len(body), "limit": limit}
        )
    if media_type(request) != "application/json":
        raise UnsupportedMediaType(
            N_("content type %(content_type)s: send application/json"),
            values={"content_type": repr(media_type(request) or "(none)")},
        )
    doc = load_json(body)
    declared = DECLARED_BODY.get()
    if declared is not None:
        declared.check(doc)  # the route's declared schema, when its view reads the body
    return doc


def read_form_pairs(request: Request, *, fields: int) -> list[tuple[str, str]]:
    """A page's form (urlencoded), or the problem that says why not (media type, too many fields)."""
    if media_type(request) != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(N_("post the page's form (application/x-www-form-urlencoded)"))
    body, limit = raw_body(request), get_settings().max_body_bytes
    if len(body) > limit:
        raise PayloadTooLarge(
            N_("the form is %(size)s bytes, at most %(limit)s"), values={"size": len(body), "limit": limit}
        )
    try:
        return parse_qsl(body.decode("utf-8", "replace"), max_num_fields=fields)
    except ValueError:
        raise MalformedBody(N_("the form has more fields than this page sends")) from None


def read_form(request: Request, *, fields: int) -> dict[str, str]:
    return dict(read_form_pairs(request, fields=fields))
