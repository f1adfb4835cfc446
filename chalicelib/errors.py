"""One exception hierarchy; the middleware in app.py turns each into an RFC 9457 problem+json response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import ChaliceUnhandledError

from chalicelib.i18n import N_, Reader


class SharedwatchError(ChaliceUnhandledError):
    # ChaliceUnhandledError: Chalice lets it reach the middleware in app.py, which answers it as
    # problem+json; any other exception Chalice turns into its own 500, which the middleware rewrites.

    status = 400
    title = N_("Bad request")
    slug = "bad-request"

    def __init__(
        self, detail: str, *, extra: dict[str, Any] | None = None, values: Mapping[str, object] | None = None
    ) -> None:
        # `detail` is a whole sentence marked N_() (its %(name)s filled from `values`) where a
        # person reads it, so for_reader can give it in their language; English until then.
        self.message = detail
        self.values = dict(values or {})
        self.detail = detail % self.values if self.values else detail
        super().__init__(self.detail)
        self.extra = extra or {}

    def for_reader(self, reader: Reader) -> SharedwatchError:
        """This error with its title and detail in the reader's language (a detail not in the
        catalogue, such as one already written in it where it was raised, stays as it is); the
        problem+json and the error page read `title` and `detail`."""
        self.title = reader.gettext(type(self).title)
        self.detail = reader.gettext(self.message, **self.values)
        return self


class NotFound(SharedwatchError):
    status = 404
    title = N_("Not found")
    slug = "not-found"


class InvalidPathParameter(SharedwatchError):
    """A path parameter no route could mean (too long, a control character, a slash, `..`)."""

    status = 400
    title = N_("Invalid path parameter")
    slug = "invalid-path-parameter"


class UnknownSource(NotFound):
    title = N_("Unknown source")
    slug = "unknown-source"


class VerificationFailed(SharedwatchError):
    status = 401
    title = N_("Signature verification failed")
    slug = "verification-failed"


class Forbidden(SharedwatchError):
    status = 403
    title = N_("Forbidden")
    slug = "forbidden"


class MalformedBody(SharedwatchError):
    status = 400
    title = N_("Malformed body")
    slug = "malformed-body"


class InvalidPayload(SharedwatchError):
    status = 422
    title = N_("Invalid payload")
    slug = "invalid-payload"


class InvalidQuery(InvalidPayload):
    """A query parameter (a filter, a limit) outside what it takes: 400, naming the allowed values."""

    status = 400
    title = N_("Invalid query")
    slug = "invalid-query"


class PayloadTooLarge(SharedwatchError):
    status = 413
    title = N_("Payload too large")
    slug = "payload-too-large"


class HeaderTooLarge(SharedwatchError):
    status = 431
    title = N_("Request header fields too large")
    slug = "header-too-large"


class UnsupportedMediaType(SharedwatchError):
    status = 415
    title = N_("Unsupported media type")
    slug = "unsupported-media-type"


class StoreUnavailable(SharedwatchError):
    """DynamoDB kept throttling or failing after retries: the sender should retry later."""

    status = 503
    title = N_("Storage temporarily unavailable")
    slug = "store-unavailable"


class OutOfTime(SharedwatchError):
    """The request's time budget ran out while AWS was slow: retry later (nothing half-done is
    answered as done; what was written is found again by the retry's deterministic keys)."""

    status = 503
    title = N_("Service temporarily slow")
    slug = "out-of-time"


class DeliveryFailed(SharedwatchError):
    """SNS refused a publish after retries; the stream record will be redelivered."""

    status = 503
    title = N_("Notification delivery failed")
    slug = "delivery-failed"


class Conflict(SharedwatchError):
    """What was asked no longer fits what is stored (edited meanwhile, not yet approved)."""

    status = 409
    title = N_("Conflict")
    slug = "conflict"


class PreconditionFailed(SharedwatchError):
    """A conditional write found the record changed since it was read (If-Match, a version)."""

    status = 412
    title = N_("Changed meanwhile")
    slug = "precondition-failed"


class MethodNotAllowed(SharedwatchError):
    status = 405
    title = N_("Method not allowed")
    slug = "method-not-allowed"


class TooManyRequests(SharedwatchError):
    status = 429
    title = N_("Too many requests")
    slug = "too-many-requests"


class ConfigurationMissing(SharedwatchError):
    """A deployment is missing configuration it needs (a parameter, a table)."""

    status = 503
    title = N_("Service not configured")
    slug = "not-configured"


class Unauthorized(SharedwatchError):
    status = 401
    title = N_("Unauthorized")
    slug = "unauthorized"


class LinkExpired(SharedwatchError):
    status = 410
    title = N_("Link expired")
    slug = "link-expired"


class InvalidConfiguration(SharedwatchError):
    """A rule, policy, group or window that cannot be saved: 400, saying which part is wrong."""

    status = 400
    title = N_("Invalid configuration")
    slug = "invalid-configuration"
