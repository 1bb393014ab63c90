"""The ARN's path: what routing runs, however many slashes the client wrote."""

from __future__ import annotations

import pytest

from tollway.dataplane.auth.arns import routed_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ""),
        ("/pets/1", "pets/1"),
        ("/secret/", "secret"),
        ("/secret//", "secret"),
        ("/pets//1", "pets/1"),
        ("/files/a//b/", "files/a/b"),
        ("/a%2Fb", "a%2Fb"),
    ],
)
def test_routed_path(path: str, expected: str) -> None:
    assert routed_path(path) == expected
