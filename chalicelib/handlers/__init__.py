"""Event-source blueprints (streams, schedules, SNS subscribers): thin entry points."""
