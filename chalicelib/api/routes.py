"""What a route needs, declared once where the route is:

    @bp.route("/api/rules/{rule_id}", methods=["PUT"], content_types=["*/*"])
    @needs("config.write", body=schemas.RULE)
    def put_rule(rule_id: str) -> Response:
        who = caller()

The declaration is enforced here before the view runs (an API route: 401/403 problem+json; a
page, `page=True`: a missing sign-in or a role not allowed raises PageRefused, which the
middleware answers with the way to sign in, and back to `back`, or a page saying why). A
declared JSON body (a Body, api/schemas.py) is checked against its schema when the view reads
it (api/problems.read_json): a 422 naming each wrong path, after what the view checks first (a
404 for a group that is not there).
A route no role opens declares what does instead, and why: `@public(why)` (anyone: the report
form, health, assets) or `@signed(by, why)` (a signed link, a source's signature, a
provisioning token, an identity provider's answer, a display token), which the view itself
checks. api/openapi.py reads the same declarations for each operation's security and request
body (the very schema checked here), and docs/people.md's access table rows are generated from them
(`python -m chalicelib.api.routes`); tests/functional/test_route_declarations.py lists the
routes that still declare nothing."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, ParamSpec

from chalice.app import Response, RouteEntry

from chalicelib.api.auth import require, signed_in
from chalicelib.api.problems import DECLARED_BODY, current_request
from chalicelib.bodies import Body
from chalicelib.policy.access import ROLES, Permission, Principal, allows

P = ParamSpec("P")
ATTRIBUTE = "sharedwatch_needs"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

# What opens a route when no role does; each is the access table's "needs" for it.
Signer = Literal["signed link", "source signature", "provider answer", "provisioning token", "display token"]
Kind = Literal["role", "public"] | Signer


@dataclass(frozen=True, slots=True)
class Needs:
    """A route's declaration: what opens it (`kind`: a role's `permission`, anyone, or a
    signature the view checks, and `why`), its body's schema (a Body) and media type if it
    reads one, and whether it is a page (a browser's, signed in by session;
    `back`: where sign-in returns to, a template of the path's parameters, with the query
    parameters named in `keep` kept)."""

    permission: Permission | None
    body: Body | None = None
    page: bool = False
    kind: Kind = "role"
    why: str = ""
    media: str = JSON
    body_required: bool = True
    back: str = ""
    keep: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The access table's and OpenAPI's name for what opens the route."""
        if self.kind == "role" and self.permission is not None:
            return self.permission
        return "display" if self.kind == "display token" else self.kind


_ADMITTED: ContextVar[Principal | None] = ContextVar("sharedwatch_admitted", default=None)


def _declare(declared: Needs) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    def declare(view: Callable[P, Response]) -> Callable[P, Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            now = getattr(wrapper, ATTRIBUTE)  # read now: a test may flip it
            token = _ADMITTED.set(admit(now) if now.kind == "role" else None)
            body = DECLARED_BODY.set(_checked_body(now))
            try:
                return view(*args, **kwargs)
            finally:
                DECLARED_BODY.reset(body)
                _ADMITTED.reset(token)

        setattr(wrapper, ATTRIBUTE, declared)
        return wrapper

    return declare


def needs(
    permission: Permission,
    *,
    body: Body | None = None,
    form: Body | None = None,
    media: str = "",
    page: bool = False,
    back: str = "",
    keep: tuple[str, ...] = (),
) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Declare (and enforce) the permission a route needs; put it right under `@bp.route`.
    `body`: its body's schema (JSON unless `media` says); `form`: a form's (urlencoded)."""
    media = media or (FORM if form else JSON)
    return _declare(Needs(permission, form or body, page or bool(back), media=media, back=back, keep=keep))


def public(
    why: str, *, body: Body | None = None, form: Body | None = None, media: str = "", page: bool = False
) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Declare a route anyone may call, and why."""
    declared = Needs(None, form or body, page, kind="public", why=why, media=media or (FORM if form else JSON))
    return _declare(declared)


def signed(
    by: Signer,
    why: str,
    *,
    body: Body | None = None,
    form: Body | None = None,
    media: str = "",
    body_required: bool = True,
    page: bool = False,
) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Declare a route opened by what the view itself verifies (`by`) rather than a role, and why."""
    return _declare(
        Needs(
            None,
            form or body,
            page,
            kind=by,
            why=why,
            media=media or (FORM if form else JSON),
            body_required=body_required,
        )
    )


def _checked_body(declared: Needs) -> Body | None:
    """The schema the view's read_json checks its body against: a role's route's JSON body. A
    route no role opens verifies its caller first and parses its own (each source its shape)."""
    if declared.kind == "role" and declared.media == JSON:
        return declared.body
    return None


def admit(declared: Needs) -> Principal:
    """The request's principal when the declaration lets it in; else the refusal, raised."""
    request = current_request()
    if declared.permission is None:
        raise RuntimeError("admit() for a route no role opens")
    if not declared.page:
        return require(request, declared.permission)
    return signed_in(request, declared.permission, back=_back(declared))  # else PageRefused, raised


def _back(declared: Needs) -> str:
    """Where a page's sign-in returns to: the page itself ("" here), or its declared `back`."""
    if not declared.back:
        return ""
    request = current_request()
    back = declared.back.format_map(dict(request.uri_params or {}))
    query = dict(request.query_params or {})
    # (signed_in quotes the whole of it into ?next=)
    kept = "&".join(f"{name}={query[name][:40]}" for name in declared.keep if query.get(name))
    return back + (f"?{kept}" if kept else "")


def caller() -> Principal:
    """Who the declared route running now admitted."""
    found = _ADMITTED.get()
    if found is None:
        raise RuntimeError("caller() outside a route declared with @needs")
    return found


def needs_of(view: object) -> Needs | None:
    found = getattr(view, ATTRIBUTE, None)
    return found if isinstance(found, Needs) else None


# -- docs/people.md's access table ---------------------------------------------------------------

PEOPLE = Path(__file__).resolve().parents[2] / "docs" / "people.md"
_ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)` \|")


def access_row(method: str, path: str, declared: Needs) -> str:
    """The table's row for a declared route: what opens it, then anyone and each role. A role's
    permission opens it to the roles that hold it; a route anyone may call, or a link or
    signature anyone may hold, to all; a provisioning token to no person; a display token to a
    screen holding one and anyone signed in."""
    if declared.permission is not None:
        marks = ["✗", *("✓" if allows(role, declared.permission) else "✗" for role in ROLES)]
    elif declared.kind == "provisioning token":
        marks = ["✗"] * (1 + len(ROLES))
    elif declared.kind == "display token":
        marks = ["display token", *("✓" for _ in ROLES)]
    else:
        marks = ["✓"] * (1 + len(ROLES))
    return f"| `{method} {path}` | {declared.label} | " + " | ".join(marks) + " |"


def access_table(text: str, routes: Mapping[str, Mapping[str, RouteEntry]]) -> str:
    """`text` (docs/people.md) with each declared route's row as its declaration says."""
    lines = []
    for line in text.splitlines(keepends=True):
        found = _ROW.match(line)
        if found:
            method, path = found.groups()
            entry = routes.get(path, {}).get(method)
            declared = needs_of(entry.view_function) if entry is not None else None
            if declared is not None:
                lines.append(access_row(method, path, declared) + "\n")
                continue
        lines.append(line)
    return "".join(lines)


def main(argv: list[str]) -> int:
    import app

    text = PEOPLE.read_text(encoding="utf-8")
    generated = access_table(text, app.app.routes)
    if "--check" in argv:
        return 0 if generated == text else 1
    if generated != text:
        PEOPLE.write_text(generated, encoding="utf-8")
        print("wrote docs/people.md")
    return 0


if __name__ == "__main__":
    # Run as a script this file is `__main__`, a second copy whose Needs the routes never used:
    # the package's own module reads their declarations.
    import importlib

    raise SystemExit(importlib.import_module("chalicelib.api.routes").main(sys.argv[1:]))
