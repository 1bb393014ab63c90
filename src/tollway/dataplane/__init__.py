"""The data plane: serves deployed APIs on the gateway listener (endpoint, handler chain,
integrations, mapping)."""
