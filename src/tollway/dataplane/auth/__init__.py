"""Authorization: what API Gateway checks between routing and the rest of the pipeline.

Where the pieces live:
- `outcome.py`: what every mode produces and what stages read: the `Decision`, the caller's
  `CallerIdentity` (IAM, Cognito), the `AuthorizerResult` (Lambda, Cognito, JWT), and the
  `Authorization` protocol one compiled method or route carries.
- `policy.py`: IAM policy documents, compiled once and evaluated per request: a Lambda
  authorizer's returned policy, IAM identity policies and REST resource policies all use it.
- one module per mode, each with a builder `build.py` calls: `lambda_rest.py` (REST
  TOKEN/REQUEST) and `lambda_http.py` (HTTP API REQUEST) on `lambda_core.py` (calling the
  function, reading its answer, the cache); `jwt.py` (HTTP API JWT) and `cognito.py` (REST
  Cognito user pools) on `jwt_verify.py` (token rules) and `jwks.py` (issuers' keys); `iam.py`
  (SigV4, from `tollway.auth`, and identity policies); `resource_policy.py`;
- `test_invoke.py`: TestInvokeAuthorizer;
- the stages that run them: `dataplane/handlers/authorize.py` (REST: resource policy, then the
  method's authorization, combined by AWS's evaluation table) and
  `dataplane/http_api/handlers/authorize.py` (HTTP APIs: the route's authorization).
- `state/authorizer_cache.py`: cached authorizer results, keyed by the identity sources.

A method or route with no authorization and (REST) a stage with no resource policy pays one
attribute check per request.
"""
