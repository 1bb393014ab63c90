"""An OIDC issuer on loopback for the JWT authorizer tests: per tenant path, a discovery
document and a JWKS of generated RSA keys (tests/jwt_issuer.py); a tenant may instead serve
an oversize JWKS, name another `jwks_uri` in its discovery document, or answer its keys with
a redirect. Every GET is recorded."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.e2e.conftest import serve_http
from tests.jwt_issuer import jwks


class Issuers:
    """What the loopback issuer serves, per tenant path."""

    def __init__(self) -> None:
        self.kids: dict[str, list[str]] = {}
        self.oversize: set[str] = set()
        self.jwks_uris: dict[str, str] = {}  # tenant -> the jwks_uri its discovery names
        self.redirects: dict[str, str] = {}  # tenant -> where its keys redirect to
        self.gets: list[str] = []
        self.lock = threading.Lock()
        self.base = ""

    def new(self, *kids: str) -> str:
        """A new tenant serving `kids`; its issuer URL."""
        tenant = uuid.uuid4().hex[:8]
        self.kids[tenant] = list(kids)
        return f"{self.base}/{tenant}"


ISSUERS = Issuers()


class _Issuer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        with ISSUERS.lock:
            ISSUERS.gets.append(self.path)
        tenant, _, rest = self.path.lstrip("/").partition("/")
        body: Any = None
        if tenant in ISSUERS.kids and rest == ".well-known/openid-configuration":
            body = {
                "issuer": f"{ISSUERS.base}/{tenant}",
                "jwks_uri": ISSUERS.jwks_uris.get(tenant, f"{ISSUERS.base}/{tenant}/keys"),
            }
        elif tenant in ISSUERS.redirects and rest == "keys":
            self.send_response(302)
            self.send_header("Location", ISSUERS.redirects[tenant])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        elif tenant in ISSUERS.kids and rest == "keys":
            body = jwks(*ISSUERS.kids[tenant])
            if tenant in ISSUERS.oversize:
                body["padding"] = "x" * 150_000
        payload = json.dumps(body).encode()
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve_issuers() -> Iterator[Issuers]:
    """The issuer for the life of a fixture."""
    for base in serve_http(_Issuer):
        ISSUERS.base = base
        yield ISSUERS
