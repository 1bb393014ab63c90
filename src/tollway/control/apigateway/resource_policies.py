"""`RestApi.policy`: the resource policy checked and normalised when it is saved (spec §5.4).

CreateRestApi, UpdateRestApi (`replace /policy`), ImportRestApi and PutRestApi
(`x-amazon-apigateway-policy`) all go through `normalize`, which does what AWS does on save:
- refuses what is not a resource policy with AWS's BadRequestException `Invalid policy
  document. Please check the policy syntax and ensure that Principals are valid.`: text that
  is not JSON, a document without statements, an Effect other than Allow/Deny, a statement
  without Principal, a principal that is not `*`, an account id or an IAM/STS ARN, an unknown
  condition operator, a Version other than 2012-10-17 / 2008-10-17;
- expands `execute-api:/...` resources into the API's ARNs;
- keeps it in AWS's escaped compact form (model/rest_policy.py), which GetRestApi returns;
- refuses a policy longer than 8192 characters (counted on the compact document; AWS's
  message for this is UNCONFIRMED, Tollway's says what is wrong).

An empty string clears the policy (Terraform removes a policy with `replace /policy ""`).
The policy takes effect with the next deployment: deployments freeze the definition.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from tollway.control.errors import BadRequestException
from tollway.dataplane.auth.policy import Policy, PolicyError
from tollway.model import rest_policy

INVALID_POLICY = (
    "Invalid policy document. Please check the policy syntax and ensure that Principals are valid."
)
TOO_LONG = (
    f"Invalid policy document. The policy exceeds the maximum length of "
    f"{rest_policy.MAX_LENGTH} characters."
)
_VERSIONS = ("2012-10-17", "2008-10-17")
_PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")
_AWS_PRINCIPAL = re.compile(
    r"\*|\d{12}|arn:aws[a-z-]*:(?:iam::\d{12}:(?:root|user/.+|role/.+)"
    r"|sts::\d{12}:(?:assumed-role|federated-user)/.+)"
)


class InvalidPolicy(ValueError):
    """Why a policy is refused (the control plane answers AWS's fixed message; import
    errors, which are Tollway's own text, say why)."""


class PolicyTooLong(InvalidPolicy):
    """Longer than the 8192 characters AWS allows."""


def normalize(value: Any, *, region: str, account_id: str, api_id: str) -> str | None:
    """The policy in AWS's stored form, or None when `value` is None or empty (no policy).

    `value` is the wire's JSON text (either plain or AWS's escaped form) or, from an OpenAPI
    document, the parsed object. Raises BadRequestException as AWS does."""
    try:
        return checked(value, region=region, account_id=account_id, api_id=api_id)
    except PolicyTooLong:
        raise BadRequestException(TOO_LONG) from None
    except InvalidPolicy:
        raise BadRequestException(INVALID_POLICY) from None


def checked(value: Any, *, region: str, account_id: str, api_id: str) -> str | None:
    """`normalize`, raising InvalidPolicy with the reason."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = rest_policy.document(value)
        except ValueError:
            raise InvalidPolicy("the policy is not JSON") from None
    document = rest_policy.expand_resources(value, region, account_id, api_id)
    try:
        Policy.parse(document, resource_policy=True)
    except PolicyError as error:
        raise InvalidPolicy(str(error)) from None
    _check_version(document)
    for statement in _statements(document):
        for key in ("Principal", "NotPrincipal"):
            if key in statement:
                _check_principal(statement[key])
    if len(orjson.dumps(document)) > rest_policy.MAX_LENGTH:
        raise PolicyTooLong(TOO_LONG)
    return rest_policy.stored_form(document)


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    raw = document["Statement"]
    return [raw] if isinstance(raw, dict) else list(raw)


def _check_version(document: dict[str, Any]) -> None:
    version = document.get("Version")
    if version is not None and version not in _VERSIONS:
        raise InvalidPolicy(f"Version must be one of {', '.join(_VERSIONS)}")


def _check_principal(principal: Any) -> None:
    if principal == "*":
        return
    for kind, entries in principal.items():
        if kind not in _PRINCIPAL_KINDS:
            raise InvalidPolicy(f"unknown principal type {kind}")
        for entry in entries if isinstance(entries, list) else [entries]:
            if kind == "AWS" and not _AWS_PRINCIPAL.fullmatch(entry):
                raise InvalidPolicy(f"invalid AWS principal {entry!r}")
