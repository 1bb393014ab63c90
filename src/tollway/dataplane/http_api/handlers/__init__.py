"""The stages of the HTTP API pipeline, one per module (pipeline.py orders them)."""
