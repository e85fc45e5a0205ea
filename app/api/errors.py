"""Errors in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}`` with the right status.

Clients written for OpenAI's API read ``type`` and ``code`` to decide what to do
(retry a 503 after Retry-After, show a 400's message), so each failure the server
can have maps to the status and type OpenAI would use.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ApiError(Exception):
    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    headers: dict = field(default_factory=dict)

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def unauthorized() -> ApiError:
    return ApiError(401, "Missing or wrong API key. Send it as “Authorization: Bearer <key>”; Hearth shows the key "
                         "in its Server panel.", code="invalid_api_key")


def not_found(what: str, code: str = "not_found") -> ApiError:
    return ApiError(404, what, code=code)


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"The request body is larger than this server accepts ({limit:,} bytes).",
                    code="request_too_large")


def busy(waiting: int, retry_after: int) -> ApiError:
    return ApiError(503, f"The model is busy: {waiting} requests are already waiting. Try again shortly.",
                    type="server_error", code="queue_full", headers={"Retry-After": str(retry_after)})


def engine_failed(message: str) -> ApiError:
    return ApiError(500, message, type="server_error", code="engine_error")
