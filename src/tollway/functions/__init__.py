"""The Lambda host: runs the functions behind AWS_PROXY and AWS (Lambda) integrations."""
