"""Domain types for the APIs Tollway serves. No I/O."""
