"""Method authorization: the resource policy and the method's authorization type.

AWS counterpart: API Gateway's authorization step (spec §5), between method selection and
request validation. What runs:
- the API's resource policy (`CompiledStage.resource_policy`, resource_policy.py), if any;
- the method's authorization (`CompiledMethod.authorization`): AWS_IAM (SigV4 and identity
  policies), CUSTOM (a TOKEN or REQUEST Lambda authorizer), COGNITO_USER_POOLS.

They combine by AWS's same-account table (spec §5.4, Table A): an explicit Deny from either
denies; otherwise an Allow from either allows; otherwise the implicit deny refuses (with a
resource policy, an Allow from it alone is enough, as on AWS). A caller of another account
needs both to allow (Table B). With a Lambda authorizer the resource policy's explicit Deny
is checked first, so a denied caller never reaches the function.

Who refuses decides the message: the method's mode (`Authorization.denied`) when its own
decision refused, the resource policy's (`User: ... is not authorized to perform ...`)
otherwise. A method without authorization on a stage without a resource policy returns at
once.

Before either runs, the method ARN must fit in 1600 bytes, AWS's limit when authorization
applies (spec §1.4, §12.3): a longer one is 414 `{"message":"Request URI too long"}`
(errors.MethodArnTooLong), whatever the mode, and nothing is called.
"""

from __future__ import annotations

from tollway.dataplane.auth.arns import rest_method_arn
from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import MethodArnTooLong

MAX_METHOD_ARN = 1600  # bytes (the path is latin-1 text of the bytes received: one per char)
# More than `arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{VERB}/` can be: region
# and account 32, API id 10, stage 128 (its name's limit), verb 7, the rest 25.
_ARN_OVERHEAD = 256


class MethodAuthorization:
    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        assert ctx.method is not None  # routed
        authorization = ctx.method.authorization
        policy = ctx.stage.resource_policy
        if authorization is None and policy is None:
            return
        # The ARN is longer than its path by at most a fixed part; most requests are far
        # below the limit and skip building it.
        if len(ctx.request.path) + _ARN_OVERHEAD > MAX_METHOD_ARN:
            length = len(rest_method_arn(ctx))
            if length > MAX_METHOD_ARN:
                raise MethodArnTooLong(length)
        if authorization is None:
            assert policy is not None
            decision = policy.evaluate(ctx)
            if decision is not Decision.ALLOW:
                raise policy.denied(ctx, decision)
            return
        if policy is None:
            decision = await authorization.authorize(ctx)
            if decision is not Decision.ALLOW:
                raise authorization.denied(ctx, decision)
            return
        if authorization.policy_first:
            before = policy.evaluate(ctx)
            if before is Decision.DENY:
                raise policy.denied(ctx, before)
        caller_decision = await authorization.authorize(ctx)
        if caller_decision is Decision.DENY:
            raise authorization.denied(ctx, caller_decision)
        policy_decision = policy.evaluate(ctx)
        if policy_decision is Decision.DENY:
            raise policy.denied(ctx, policy_decision)
        if policy.same_account(ctx):
            allowed = Decision.ALLOW in (caller_decision, policy_decision)
        else:
            allowed = caller_decision is policy_decision is Decision.ALLOW
        if not allowed:
            if caller_decision is not Decision.ALLOW:
                raise authorization.denied(ctx, caller_decision)
            raise policy.denied(ctx, policy_decision)
