"""What a route needs, declared once where the route is:

    @bp.route("/api/rules/{rule_id}", methods=["PUT"], content_types=["*/*"])
    @needs("config.write", body="Rule")
    def put_rule(rule_id: str) -> Response:
        who = caller()

The declaration is enforced here before the view runs (an API route: 401/403 problem+json; a
page, `page=True`: a missing sign-in or a role not allowed raises PageRefused, which the
middleware answers with the way to sign in or a page saying why); api/openapi.py reads the same
declaration for the operation's permission and request body, and docs/people.md's access table
rows for declared routes are generated from it (`python -m chalicelib.api.routes`). Routes not
yet declared still check in their bodies (`require`, `signed_in`), read by openapi's older
source scan; tests/functional/test_route_declarations.py lists them and fails when the list grows."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec

from chalice.app import Response, RouteEntry

from chalicelib.api.auth import require, signed_in
from chalicelib.api.problems import PageRefused, current_request
from chalicelib.policy.access import ROLES, Permission, Principal, allows

P = ParamSpec("P")
ATTRIBUTE = "sharedwatch_needs"


@dataclass(frozen=True, slots=True)
class Needs:
    """A route's declaration: the permission it checks, its JSON body's schema (a name in
    openapi.SCHEMAS) if it reads one, and whether it is a page (a browser's, signed in by session)."""

    permission: Permission
    body: str = ""
    page: bool = False


_ADMITTED: ContextVar[Principal | None] = ContextVar("sharedwatch_admitted", default=None)


def needs(
    permission: Permission, *, body: str = "", page: bool = False
) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Declare (and enforce) what a route needs; put it right under `@bp.route`."""
    declared = Needs(permission, body, page)

    def declare(view: Callable[P, Response]) -> Callable[P, Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            token = _ADMITTED.set(admit(getattr(wrapper, ATTRIBUTE)))  # read now: a test may flip it
            try:
                return view(*args, **kwargs)
            finally:
                _ADMITTED.reset(token)

        setattr(wrapper, ATTRIBUTE, declared)
        return wrapper

    return declare


def admit(declared: Needs) -> Principal:
    """The request's principal when the declaration lets it in; else the refusal, raised."""
    request = current_request()
    if not declared.page:
        return require(request, declared.permission)
    found = signed_in(request, declared.permission)
    if isinstance(found, Response):
        raise PageRefused(found)
    return found


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
    """The table's row for a declared route: its permission, then anyone and each role."""
    marks = ["✗", *("✓" if allows(role, declared.permission) else "✗" for role in ROLES)]
    return f"| `{method} {path}` | {declared.permission} | " + " | ".join(marks) + " |"


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
    raise SystemExit(main(sys.argv[1:]))
