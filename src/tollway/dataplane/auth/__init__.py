"""Authorization: what API Gateway checks between routing and the rest of the pipeline.

Where the pieces live:
- `outcome.py`: what every mode produces and what stages read: the `Decision`, the caller's
  `CallerIdentity` (IAM, Cognito), the `AuthorizerResult` (Lambda, Cognito, JWT), and the
  `Authorization` protocol one compiled method or route carries.
- `policy.py`: IAM policy documents, compiled once and evaluated per request: a Lambda
  authorizer's returned policy, IAM identity policies and REST resource policies all use it.
- one module per mode, each with a `build_*` function the compilers call: `lambda_rest.py`
  (REST TOKEN/REQUEST), `lambda_http.py` (HTTP API REQUEST), `jwt.py` (HTTP API JWT and REST
  Cognito user pools), `iam.py` (SigV4 + identity policies) and `resource_policy.py`.
- the stages that run them: `dataplane/handlers/authorize.py` (REST: resource policy, then the
  method's authorization, combined by AWS's evaluation table) and
  `dataplane/http_api/handlers/authorize.py` (HTTP APIs: the route's authorization).
- `state/authorizer_cache.py`: cached authorizer results, keyed by the identity sources.

A method or route with no authorization and (REST) a stage with no resource policy pays one
attribute check per request.
"""
