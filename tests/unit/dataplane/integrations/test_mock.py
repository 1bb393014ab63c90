"""MOCK integrations: the status code the request template chooses (spec §3.4)."""

from __future__ import annotations

import pytest

from tollway.dataplane.errors import ApiConfigurationError
from tollway.dataplane.integrations.mock import UNPARSABLE, parse_status_code


@pytest.mark.parametrize(
    ("rendered", "status"),
    [
        (b'{"statusCode": 200}', 200),
        (b'{"statusCode": "404"}', 404),
        (b"{statusCode: 200}", 200),  # what CDK's CORS preflight renders
        (b'  {\n  "statusCode" : 503, "x": 1}', 503),
    ],
)
def test_status_codes(rendered: bytes, status: int) -> None:
    assert parse_status_code(rendered) == status


@pytest.mark.parametrize(
    "rendered", [b"{}", b"", b'{"statusCode": "abc"}', b'{"statusCode": null}']
)
def test_unparsable_status_is_a_configuration_error(rendered: bytes) -> None:
    with pytest.raises(ApiConfigurationError) as error:
        parse_status_code(rendered)
    assert error.value.log == UNPARSABLE
