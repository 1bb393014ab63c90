"""The HTTP API (API Gateway v2) data plane."""
