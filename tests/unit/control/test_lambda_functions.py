"""Deployment-package checks of CreateFunction / UpdateFunctionCode / PublishLayerVersion."""

from __future__ import annotations

import io
import zipfile

import pytest

from tollway.control.errors import InvalidParameterValueException, RequestEntityTooLargeException
from tollway.control.lambda_api.functions import ZIPPED_LIMIT, check_zip


def test_a_zip_over_the_limit_is_too_large() -> None:
    with pytest.raises(RequestEntityTooLargeException) as refused:
        check_zip(b"x" * (ZIPPED_LIMIT + 1))
    assert refused.value.message == "Zipped size must be smaller than 52428800 bytes"


def test_a_package_that_is_not_a_zip_is_refused() -> None:
    with pytest.raises(InvalidParameterValueException) as refused:
        check_zip(b"not a zip")
    assert refused.value.message == (
        "Could not unzip uploaded file. Please check your file, then try to upload again."
    )


def test_a_zip_passes() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "x = 1\n")
    check_zip(buffer.getvalue())
