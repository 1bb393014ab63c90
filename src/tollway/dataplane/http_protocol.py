"""uvicorn's httptools protocol, keeping request header names as the client sent them.

ASGI servers lowercase header names, but API Gateway hands Lambda functions the client's own
casing (`Content-Type`, `tEsT-HEADeR`, spec §2.1) and functions look headers up by it. This
subclass keeps the casing; the two places uvicorn compares header names are made
case-insensitive. It relies on uvicorn internals, so tests/e2e assert the casing end to end.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CasePreservingHttpToolsProtocol(HttpToolsProtocol):
    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def _get_upgrade(self) -> bytes | None:
        connection: list[bytes] = []
        upgrade = None
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"connection":
                connection = [token.lower().strip() for token in value.split(b",")]
            elif lowered == b"upgrade":
                upgrade = value.lower()
        return upgrade if b"upgrade" in connection else None
