"""Who a caller is: what the data plane (AWS_IAM methods and routes) and the control plane
(admin API protection) share, with no dependency on either.

- `sigv4.py`: AWS Signature Version 4 verification, header and query-string (presigned)
  forms, with AWS's errors in the order AWS checks them.
- `identities.py`: the identity store: IAM users and roles, their access keys (long-term and
  temporary) and inline identity policies, loaded from a file (`--identities`).
"""
