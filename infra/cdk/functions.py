"""The stack's functions by their Chalice names (what the alarms and grants are for)."""

from __future__ import annotations

STREAM_HANDLERS = {"mentions": "OnMentionStored", "reports": "OnReportStored"}
SCHEDULED = (
    "RetryStaleDeliveries",
    "SendHeldDeliveries",
    "EscalateIncidents",
    "RunCrisisPlans",
    "RunDrills",
    "PollSources",
    "DetectSpikes",
    "DailyDigests",
    "WeeklyDigests",
    "PolicyReminders",
    "MonthlyTeamNotes",
)
FUNCTIONS = (*STREAM_HANDLERS.values(), *SCHEDULED, "OnInboundEmail", "OnSesEvent", "APIHandler")
