"""Who hears about what: pure rule matching (rules.py) and the stream-side dispatch."""
