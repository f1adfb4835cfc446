"""Use cases that do I/O: ingest, the router, incidents, alarms, polling, digests. Each reads,
asks `policy/` or `triage/` to decide, and writes through `store/` and `notify/`."""
