"""sharedwatch: the composition root. Blueprints carry the routes and handlers; no logic here."""

from __future__ import annotations

from chalice.app import Chalice

from chalicelib.api import ack, admin, groups, health, incidents, local, reports, rules, slack, triage, wall, webhooks
from chalicelib.handlers import inbound_email, schedule, stream
from chalicelib.settings import get_settings

app = Chalice(app_name="sharedwatch")

for blueprint in (
    health.bp,
    webhooks.bp,
    reports.bp,
    triage.bp,
    admin.bp,
    groups.bp,
    rules.bp,
    incidents.bp,
    ack.bp,
    wall.bp,
    slack.bp,
    stream.bp,
    schedule.bp,
    inbound_email.bp,
):
    app.register_blueprint(blueprint)
if get_settings().is_local:
    app.register_blueprint(local.bp)
