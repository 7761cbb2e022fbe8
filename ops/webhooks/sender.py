"""One HTTP POST to a checked address: no redirects followed, no proxy, a short timeout.

``http.client`` connects to ``Target.address`` — the IP the SSRF guard checked — while the request
carries the URL's host name in ``Host`` and, for https, in the TLS SNI and the certificate check, so
a DNS answer that changes between the check and the connection (DNS rebinding) is never used.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

from ops.webhooks.ssrf import Target

MAX_ERROR = 1000
READ_LIMIT = 4096  # of the receiver's answer: read (so the connection ends cleanly), never stored


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the HTTP status, None when no answer came
    error: str  # empty on a 2xx


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # SNI and the certificate's name are the URL's host, not the address connected to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, headers: dict[str, str], body: bytes, *, timeout: float) -> Outcome:
    """POST ``body`` to ``target``; the status, or the network error as text."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout)
    try:
        connection.request(
            "POST", target.path, body=body, headers={**headers, "user-agent": "ops-webhooks/1"}
        )
        response = connection.getresponse()
        response.read(READ_LIMIT)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
    finally:
        connection.close()
    if 200 <= status < 300:
        return Outcome(status, "")
    reason = f"HTTP {status}"
    if 300 <= status < 400:
        reason += " (redirects are not followed)"
    return Outcome(status, reason)
