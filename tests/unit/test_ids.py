"""Identifiers: the fast UUID text matches the uuid module's."""

from __future__ import annotations

import os
import re
import uuid

from tollway.model import ids


def test_uuid4_text_is_what_the_uuid_module_writes() -> None:
    for raw in [bytes(16), b"\xff" * 16, *(os.urandom(16) for _ in range(2000))]:
        assert ids._uuid4(raw) == str(uuid.UUID(bytes=raw, version=4))


def test_request_ids() -> None:
    request_id, extended, trace = ids.request_ids()
    assert uuid.UUID(request_id).version == 4
    assert re.fullmatch(r"[A-Za-z0-9+/]{15}=", extended)
    assert re.fullmatch(r"[0-9a-f]{24}", trace)
    assert uuid.UUID(ids.request_id()).variant == uuid.RFC_4122
