"""The mark a drill puts on what it sends: the drill's id signed with the app's key, so only
sharedwatch's own drill runner can make a mention or a report a drill's (a real report marked
as a drill would be shown as an exercise and left out of the counts).

mark = d<10 hex>.<HMAC-SHA256, 64 bits, hex>"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

_SHAPE = re.compile(r"^(d[0-9a-f]{10})\.([0-9a-f]{16})$")


def new_drill_id() -> str:
    return "d" + secrets.token_hex(5)


def _signature(key: bytes, drill_id: str) -> str:
    return hmac.new(key, b"sharedwatch-drill|" + drill_id.encode(), hashlib.sha256).hexdigest()[:16]


def mark(*, key: bytes, drill_id: str) -> str:
    return f"{drill_id}.{_signature(key, drill_id)}"


def drill_of(marker: str, *, key: bytes) -> str:
    """The drill id a mark carries; "" when it is not one of ours."""
    found = _SHAPE.match(marker)
    if not found or not hmac.compare_digest(found.group(2), _signature(key, found.group(1))):
        return ""
    return found.group(1)
