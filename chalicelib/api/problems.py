"""RFC 9457 problem details for every error the API answers."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from chalice.app import Request, Response

from chalicelib import deadline
from chalicelib.bodies import load_json
from chalicelib.errors import (
    InvalidConfiguration,
    InvalidPayload,
    MalformedBody,
    PayloadTooLarge,
    SharedwatchError,
    UnsupportedMediaType,
)
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import audit

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "https://sharedwatch.dev/problems/"


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


def _is_chalice_500(response: Response) -> bool:
    body = response.body
    return response.status_code == 500 and isinstance(body, dict) and body.get("Code") == "InternalServerError"


def answer_problems(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: every log line of a request carries its correlation id; the exception
    hierarchy becomes problem responses; anything unexpected (Chalice has logged it with its
    traceback) is a 500 problem without internals."""
    logger.set_correlation_id(correlation_id(request))
    try:
        with deadline.budget(get_settings().request_budget_seconds), audit.request_scope():
            response = get_response(request)
    except SharedwatchError as exc:
        if exc.status >= 500:
            logger.warning("request failed", extra={"problem": exc.slug, "detail": exc.detail})
        return from_error(exc)
    if _is_chalice_500(response):
        return problem(
            status=500,
            title="Internal error",
            detail="the request could not be completed; it has been logged",
            slug="internal",
        )
    return response


def configuration_view[**P](view: Callable[P, Response]) -> Callable[P, Response]:
    """Saving configuration (rules, policies, groups, windows): what does not validate is a 400
    that says which part is wrong, and nothing of it is stored."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return view(*args, **kwargs)
        except InvalidPayload as exc:
            raise InvalidConfiguration(exc.detail, extra=exc.extra) from None

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
    """A JSON request body, or the problem that says why not (size, media type, syntax)."""
    body = raw_body(request)
    limit = get_settings().max_body_bytes
    if len(body) > limit:
        raise PayloadTooLarge(f"body is {len(body)} bytes, at most {limit}")
    if media_type(request) != "application/json":
        raise UnsupportedMediaType(f"content type {media_type(request) or '(none)'!r}: send application/json")
    return load_json(body)


def read_form_pairs(request: Request, *, fields: int) -> list[tuple[str, str]]:
    """A page's form (urlencoded), or the problem that says why not (media type, too many fields)."""
    if media_type(request) != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("post the page's form (application/x-www-form-urlencoded)")
    try:
        return parse_qsl(raw_body(request).decode("utf-8", "replace"), max_num_fields=fields)
    except ValueError:
        raise MalformedBody("the form has more fields than this page sends") from None


def read_form(request: Request, *, fields: int) -> dict[str, str]:
    return dict(read_form_pairs(request, fields=fields))
