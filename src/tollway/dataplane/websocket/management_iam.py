"""IAM on the `@connections` API (spec §5.3, §13.5).

AWS counterpart: the Management API's SigV4 authentication and the `execute-api:
ManageConnections` permission ("Control access to WebSocket APIs with IAM authorization":
"The @connections API uses the same ARN format as REST APIs",
`arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/POST/@connections`, here with the
call's method and the connection id: `.../{stage}/{METHOD}/@connections/{connectionId}`).

Tollway's rule: the check is on when the gateway has identities (`--identities FILE`, the
same switch as AWS_IAM routes); then every call must be SigV4-signed (service `execute-api`,
the gateway's region) by a known access key whose policies allow `execute-api:
ManageConnections` on that ARN. Without identities there is nothing to check signatures
against, and calls are accepted signed or not (a local user's handlers call with whatever
credentials they have). Refusals are 403 with `x-amzn-ErrorType`:
- unsigned: `{"message":"Missing Authentication Token"}`, MissingAuthenticationTokenException;
- a signature that does not verify: SigV4's message and exception (auth/sigv4.py);
- not allowed, or an explicit Deny: `{"Message":"User: <caller ARN> is not authorized to
  perform: execute-api:ManageConnections on resource: <ARN>"}` (the capital M of AWS's IAM
  refusals, as REST answers; `... with an explicit deny`), ForbiddenException (the model's
  403 error; the body's wording is UNCONFIRMED for this API).
"""

from __future__ import annotations

from urllib.parse import unquote

import orjson

from tollway.auth import sigv4
from tollway.auth.identities import IdentityStore
from tollway.dataplane.auth.iam import SERVICES, caller_identity, request_facts
from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.context import Request, Response
from tollway.dataplane.websocket.management import json_response

ACTION = "execute-api:ManageConnections"


class ManagementIam:
    def __init__(self, identities: IdentityStore, region: str, account_id: str) -> None:
        self._identities = identities
        self._region = region
        self._account_id = account_id

    def arn(self, api_id: str, stage: str, method: str, path: str) -> str:
        """`path` is `/@connections/{id}` (after the stage), the id decoded."""
        return (
            f"arn:aws:execute-api:{self._region}:{self._account_id}:{api_id}/{stage}/"
            f"{method}{unquote(path)}"
        )

    def refusal(self, request: Request, arn: str) -> Response | None:
        """None when the caller may manage connections; else the 403 to answer with."""
        try:
            credential = sigv4.verify(
                request, self._identities.credential, region=self._region, services=SERVICES
            )
        except sigv4.SignatureError as e:
            return _forbidden({"message": e.message}, e.code)
        identity = caller_identity(credential)
        policy = credential.principal.policy
        decision = Decision.IMPLICIT
        if policy is not None:
            facts = request_facts(request, self._region, identity.condition_keys)
            decision = policy.evaluate(ACTION, arn, facts=facts)
        if decision is Decision.ALLOW:
            return None
        message = f"User: {identity.user_arn} is not authorized to perform: {ACTION} on " \
                  f"resource: {arn}"  # fmt: skip
        if decision is Decision.DENY:
            message += " with an explicit deny"
        return _forbidden({"Message": message}, "ForbiddenException")


def _forbidden(body: dict[str, str], error_type: str) -> Response:
    return json_response(403, orjson.dumps(body), error_type)
