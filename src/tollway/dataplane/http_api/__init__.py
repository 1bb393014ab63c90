"""HTTP APIs (API Gateway v2, `ProtocolType: HTTP`) on the gateway listener.

A request the endpoint finds for an HTTP API goes through its own pipeline (pipeline.py),
beside the REST one and built from the same chain: stage selection (stages.py), route
selection (routes.py), the Lambda proxy with payload 1.0/2.0 (payload.py) or HTTP_PROXY
(integrations.py), and the headers HTTP APIs add. Deployments are compiled once (compile.py).
"""
