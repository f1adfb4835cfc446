"""Pure decisions: routing rules, escalation, noise control, stories, messages and the router's
plan. Nothing here reads or writes anything; `flows/` does the I/O around these decisions."""
