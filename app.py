"""sharedwatch: the composition root. Blueprints carry the routes and handlers; two middlewares
carry what every request and event shares; no logic here."""

from __future__ import annotations

import gc

# A cold start loads about 700 modules, and the collector would walk their objects over and over
# while they load (about a tenth of the import); none of them is garbage. Collected again below,
# with what was loaded frozen out of later collections (as CPython's gc.freeze documents).
gc.disable()
# ruff: noqa: E402 (the imports below come after it on purpose)

from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Request, Response

from chalicelib.api import (
    ack,
    admin,
    admin_pages,
    departments,
    directory,
    drills,
    groups,
    health,
    inbox,
    incident_pages,
    incidents,
    learn,
    local,
    onboarding,
    openapi,
    people,
    plans,
    reach,
    readiness,
    recognition,
    reports,
    rules,
    scim,
    signin,
    slack,
    sources,
    spotit,
    stories,
    teams,
    triage,
    wall,
    webapp,
    webhooks,
)
from chalicelib.api.problems import answer_problems
from chalicelib.handlers import inbound_email, schedule, ses_events, stream
from chalicelib.observability import inject_lambda_context
from chalicelib.settings import get_settings

app = Chalice(app_name="sharedwatch")
# A phone's share (POST /report/share) carries a screenshot: multipart bodies pass as bytes.
app.api.binary_types.append("multipart/form-data")


@app.middleware("all")
def lambda_context(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """powertools' Lambda context (function, request id, cold start) in every log line."""
    inject_lambda_context(getattr(event, "lambda_context", None) or getattr(event, "context", None))
    return get_response(event)


@app.middleware("http")
def problems(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Errors as RFC 9457 problem+json, once for every route; the request's correlation id."""
    return answer_problems(request, get_response)


for blueprint in (
    health.bp,
    webhooks.bp,
    reports.bp,
    triage.bp,
    admin.bp,
    groups.bp,
    rules.bp,
    incidents.bp,
    incident_pages.bp,
    learn.bp,
    spotit.bp,
    onboarding.bp,
    recognition.bp,
    inbox.bp,
    departments.bp,
    admin_pages.bp,
    stories.bp,
    plans.bp,
    drills.bp,
    sources.bp,
    readiness.bp,
    ack.bp,
    signin.bp,
    people.bp,
    directory.bp,
    reach.bp,
    scim.bp,
    wall.bp,
    webapp.bp,
    slack.bp,
    teams.bp,
    stream.bp,
    schedule.bp,
    inbound_email.bp,
    ses_events.bp,
    openapi.bp,
):
    app.register_blueprint(blueprint)
if get_settings().is_local:
    app.register_blueprint(local.bp)

gc.freeze()
gc.enable()
