"""Spot it (docs/training.md): `/learn/spot-it`, a practice round of five real items for a
signed-in person, as a plain form (no script); sending it shows the right answers and why. A
person's results are theirs; their department sees only counts. A lead refreshes the items."""

from __future__ import annotations

import secrets
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api import forms
from chalicelib.api.auth import audit, check_csrf, csrf_token, reader_for
from chalicelib.api.problems import read_form, unaudited
from chalicelib.api.routes import caller, needs
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, SharedwatchError
from chalicelib.flows import spotit
from chalicelib.policy import spotit as practice
from chalicelib.policy.access import Principal, allows
from chalicelib.store import spotit as stored
from chalicelib.web import error_page, page

bp = Blueprint(__name__)
MAX_SEED = 2**31


def _render(
    who: Principal,
    *,
    pool: dict[str, Any],
    mine: dict[str, int],
    results: list[dict[str, Any]] | None = None,
    problems: list[str] | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    seed = secrets.randbelow(MAX_SEED)
    return page(
        "spotit.html",
        reader=reader_for(bp.current_request),
        status=status,
        person=who.label,
        items=practice.draw(pool, seed=seed),
        seed=seed,
        departments=pool.get("departments") or [],
        names=dict((slug, name) for slug, name in pool.get("departments") or []),
        results=results,
        right=sum(1 for r in results or [] if r["right"]),
        mine=mine,
        accuracy=round(100 * mine.get("correct", 0) / mine["items"]) if mine.get("items") else None,
        csrf=csrf_token(who.session_id),
        may_refresh=allows(who.role, "cases"),
        problems=problems or [],
        done=done,
    )


@bp.route("/learn/spot-it", methods=["GET"])
@needs("self", page=True)
def spot_it_page() -> Response:
    """A round of five, and the person's own results so far: one BatchGetItem."""
    who = caller()
    try:
        pool, mine = stored.pool_and_results(spotit.player(who.id))
        return _render(who, pool=pool, mine=mine)
    except SharedwatchError as exc:
        return error_page(exc, reader=reader_for(bp.current_request))


@bp.route("/learn/spot-it", methods=["POST"], content_types=["*/*"])
@needs("self", form=forms.SPOT_IT_FORM, back="/learn/spot-it")
@unaudited("a practice round's result is its player's own: counted, never attributed to them")
def spot_it_round() -> Response:
    """The round's answers: each item's `a_<id>` (nothing, report, urgent) and `d_<id>` (a
    department), and `items` (the round's item ids, as the page listed them)."""
    request = bp.current_request
    who = caller()
    try:
        form = read_form(request, fields=3 + 2 * practice.ROUND)
        check_csrf(form.get("csrf", ""), who.session_id)
        item_ids = [i for i in form.get("items", "").split(",") if i][: practice.ROUND + 1]
        answers = {
            i[:12]: {"action": form.get(f"a_{i[:12]}", "")[:12], "department": form.get(f"d_{i[:12]}", "")[:63]}
            for i in item_ids
        }
        pool, mine = stored.pool_and_results(spotit.player(who.id))
        results = spotit.play(
            email=who.id,
            department=who.department,
            pool=pool,
            item_ids=[i[:12] for i in item_ids],
            answers=answers,
            now=utcnow(),
        )
        # The counts as they now stand, without reading them again.
        mine = {
            "rounds": mine.get("rounds", 0) + 1,
            "items": mine.get("items", 0) + len(results),
            "correct": mine.get("correct", 0) + sum(1 for r in results if r["right"]),
        }
        return _render(who, pool=pool, mine=mine, results=results)
    except InvalidPayload as exc:
        pool, mine = stored.pool_and_results(spotit.player(who.id))
        return _render(who, pool=pool, mine=mine, problems=list(exc.extra.get("errors") or [exc.detail]), status=422)
    except SharedwatchError as exc:
        return error_page(exc, reader=reader_for(request))


@bp.route("/learn/spot-it/pool", methods=["POST"], content_types=["*/*"])
@needs("cases", form=forms.CSRF_FORM, back="/learn/spot-it")
def refresh_pool() -> Response:
    """A lead draws the items again from approved cards, corrections and praise."""
    request = bp.current_request
    who = caller()
    try:
        form = read_form(request, fields=2)
        check_csrf(form.get("csrf", ""), who.session_id)
        pool = spotit.refresh_pool(now=utcnow())
        audit(request, who, action="spotit.pool", target="pool", after={"items": len(pool["items"])})
        _, mine = stored.pool_and_results(spotit.player(who.id))
        reader = reader_for(request)
        done = reader.gettext("The practice now has %(count)s items.") % {"count": len(pool["items"])}
        return _render(who, pool=pool, mine=mine, done=done)
    except SharedwatchError as exc:
        return error_page(exc, reader=reader_for(request))
