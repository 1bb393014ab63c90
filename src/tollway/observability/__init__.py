"""What Tollway tells operators: access logs, (later) metrics and traces."""
