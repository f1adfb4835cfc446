"""Property tests: whatever a sender posts to any source, the answer is a 2xx or a clear 4xx
problem, never a 500, and a refused delivery stores nothing at all."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.sources import REGISTRY
from chalicelib.store.models import MentionModel
from tests.conftest import FIXTURES
from tests.functional.conftest import SOURCE_SECRETS, Harness
from tests.support import SECRET, signed_headers

SLUGS = sorted(REGISTRY)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
FIELD_NAMES = [
    "type",
    "data",
    "mentions",
    "id",
    "url",
    "text",
    "published_at",
    "author",
    "entry",
    "changes",
    "field",
    "value",
    "tweet_create_events",
    "documents",
    "id_str",
    "created_at",
    "user",
    "object",
]


def _sign(slug: str, body: bytes) -> dict[str, str]:
    """The headers a legitimate sender of this source would attach."""
    secret: Any = SOURCE_SECRETS.get(slug, "")
    if slug == "generic":
        return signed_headers(body, secret=SECRET)
    if slug == "meta":
        digest = hmac.new(secret["app_secret"].encode(), body, hashlib.sha256).hexdigest()
        return {"content-type": "application/json", "x-hub-signature-256": f"sha256={digest}"}
    if slug == "x":
        digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        return {"content-type": "application/json", "x-twitter-webhooks-signature": f"sha256={digest}"}
    if slug == "websub":
        return {
            "content-type": "application/atom+xml",
            "x-hub-signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
        }
    if slug == "meltwater":
        return {
            "content-type": "application/json",
            "x-hub-signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
        }
    return {"content-type": "application/json"}  # pull sources: there is nothing to sign


def _mutated_documents() -> st.SearchStrategy[bytes]:
    """Real fixture payloads with parts replaced by arbitrary JSON: close enough to be parsed."""
    documents = [json.loads(p.read_text()) for p in sorted((FIXTURES / "sources").rglob("*.json"))]

    def mutate(doc: Any, path: list[int], value: Any, key: str) -> Any:
        if not path or not isinstance(doc, (dict, list)) or not doc:
            return value
        if isinstance(doc, dict):
            keys = sorted(doc)
            chosen = keys[path[0] % len(keys)]
            return {
                **doc,
                chosen: mutate(doc[chosen], path[1:], value, key),
                **({key: value} if len(path) == 1 else {}),
            }
        index = path[0] % len(doc)
        return [*doc[:index], mutate(doc[index], path[1:], value, key), *doc[index + 1 :]]

    return st.builds(
        lambda doc, path, value, key: json.dumps(mutate(doc, path, value, key)).encode(),
        st.sampled_from(documents),
        st.lists(st.integers(min_value=0, max_value=50), max_size=6),
        JSON_VALUES,
        st.sampled_from(FIELD_NAMES),
    )


BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    _mutated_documents(),
    st.just(b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry><id>x</id></entry></feed>"),
)
HEADER_NAMES = st.sampled_from(
    [
        "content-type",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "x-hub-signature",
        "x-hub-signature-256",
        "x-twitter-webhooks-signature",
    ]
)


@pytest.mark.slow  # make test runs it; make check leaves it (docs/testing.md)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    slug=st.sampled_from([*SLUGS, "unknown"]),
    body=BODIES,
    signed=st.booleans(),
    noise=st.dictionaries(
        HEADER_NAMES, st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40), max_size=3
    ),
)
def test_any_delivery_gets_2xx_or_a_clear_4xx_and_refusals_store_nothing(
    harness: Harness, slug: str, body: bytes, signed: bool, noise: dict[str, str]
) -> None:
    before = MentionModel.count()
    headers = {
        **(_sign(slug, body) if signed and slug in REGISTRY else {"content-type": "application/json"}),
        **({} if signed else noise),
    }
    response = harness.client.http.post(f"/webhooks/{slug}", body=body, headers=headers)
    assert response.status_code < 500, response.body
    if response.status_code >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"
        problem = json.loads(response.body)
        assert problem["status"] == response.status_code and problem["detail"]
        assert MentionModel.count() == before
    else:
        answer = json.loads(response.body)
        assert MentionModel.count() == before + answer["stored"]
