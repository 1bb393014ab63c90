"""REST authorizer identity sources: the expressions an authorizer reads its identity from.

`identitySource` (spec §5.5, §5.6) is one header expression for TOKEN and
COGNITO_USER_POOLS authorizers (`method.request.header.Authorization`), and a comma-separated
list for REQUEST authorizers whose items are `method.request.header.<name>`,
`method.request.querystring.<name>`, `stageVariables.<name>` or `context.<variable>`. Path
parameters can be passed to a REQUEST authorizer but are not identity sources.

The control plane checks the expressions with these functions (their `ValueError` messages are
AWS's); the data plane compiles them into value getters. No I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADER = "header"
QUERYSTRING = "querystring"
STAGE_VARIABLE = "stageVariables"
CONTEXT = "context"

_TOKEN_SOURCE = re.compile(r"^method\.request\.header\.([a-zA-Z0-9._-]+)$")
_REQUEST_SOURCE = re.compile(
    r"^(?:method\.request\.(header|querystring)|(stageVariables)|(context))\.([^\s,]+)$"
)


@dataclass(frozen=True, slots=True)
class IdentitySource:
    location: str  # HEADER | QUERYSTRING | STAGE_VARIABLE | CONTEXT
    name: str  # the header / query parameter / stage variable / `$context` variable name
    expression: str  # as written, e.g. `method.request.header.Authorization`


def token_source(expression: str | None) -> IdentitySource:
    """A TOKEN (or Cognito) authorizer's identity source: one request header."""
    match = _TOKEN_SOURCE.match(expression or "")
    if match is None:
        shown = "null" if expression is None else expression  # as AWS's Java would print it
        raise ValueError(
            f"Invalid token source expression: {shown}. The source must be a method "
            "request header, matching 'method.request.header.[a-zA-Z0-9._-]+'."
        )
    return IdentitySource(HEADER, match.group(1), expression or "")


def request_sources(expression: str | None) -> tuple[IdentitySource, ...]:
    """A REQUEST authorizer's identity sources, in the order listed (blank: none)."""
    sources = []
    for item in (expression or "").split(","):
        item = item.strip()
        if not item and not (expression or "").strip():
            continue
        match = _REQUEST_SOURCE.match(item)
        if match is None:
            raise ValueError(
                f"Invalid identity source expression: {item}. Identity sources must be "
                "method.request.header.<name>, method.request.querystring.<name>, "
                "stageVariables.<name> or context.<name>."
            )
        location = match.group(1) or match.group(2) or match.group(3)
        sources.append(IdentitySource(location, match.group(4), item))
    return tuple(sources)


def identity_sources(authorizer_type: str, expression: str | None) -> tuple[IdentitySource, ...]:
    """The identity sources of an authorizer of `authorizer_type`."""
    if authorizer_type == "REQUEST":
        return request_sources(expression)
    return (token_source(expression),)
