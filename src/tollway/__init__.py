"""Tollway: a free, self-hostable Amazon API Gateway."""

__version__ = "0.1.0"
