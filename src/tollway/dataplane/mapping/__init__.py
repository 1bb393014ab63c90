"""Mapping for REST integrations, compiled once per deployment and applied per request:
parameter mapping expressions (`parameters`) and API Gateway's Velocity (VTL) mapping
templates with `$input`, `$util`, `$context` and `$stageVariables` (`vtl.MappingTemplate`)."""
