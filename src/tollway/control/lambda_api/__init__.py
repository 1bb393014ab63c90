"""The `lambda` service Tollway hosts, driven by botocore's `lambda` model: functions,
versions and aliases, the resource policy, concurrency, asynchronous invocation settings,
layers and Invoke. One module per area; `ops` is the service's operation table.

Python runtimes run on Tollway's FunctionHost; other runtimes (and any function) can be
served by another Lambda Invoke API endpoint (functions.remote). Container images, S3 code,
VPC and file-system settings are answered NotImplemented, by name.
"""

from __future__ import annotations

from tollway.control.lambda_api import (
    concurrency,
    functions,
    invoke,
    layers,
    permissions,
    versions,
)
from tollway.control.lambda_api.common import ops
from tollway.control.lambda_api.functions import new_configuration

__all__ = [
    "concurrency",
    "functions",
    "invoke",
    "layers",
    "new_configuration",
    "ops",
    "permissions",
    "versions",
]
