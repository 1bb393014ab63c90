"""The identity store: who may sign requests (AWS counterpart: IAM users and roles, their
access keys and STS session credentials, and their inline identity policies).

`IdentityStore` is the seam: one lookup by access key id. The default implementation,
`StaticIdentities`, is what an identities file (`--identities FILE`, YAML or JSON) declares:

    accountId: "123456789012"        # optional; Tollway's account id otherwise
    users:
      - name: alice
        path: /engineering/          # optional, "/" otherwise
        accountId: "111122223333"    # optional: an identity of another account
        admin: true                  # may call the control plane when it requires signing
        accessKeys:
          - accessKeyId: AKIAALICEEXAMPLE
            secretAccessKey: alice-secret
        sessions:                    # temporary credentials (GetSessionToken): caller = alice
          - accessKeyId: ASIAALICEEXAMPLE
            secretAccessKey: alice-session-secret
            sessionToken: alice-token
            expiration: 2030-01-01T00:00:00Z
        tags: {team: payments}       # aws:PrincipalTag/team
        policies:                    # inline policies: name -> document (or a list)
          invoke-pets:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: execute-api:Invoke, Resource: "*"}]
    roles:
      - name: deployer
        sessions:                    # AssumeRole credentials: caller = the role's session
          - sessionName: ci
            accessKeyId: ASIADEPLOYEREXAMPLE
            secretAccessKey: deployer-secret
            sessionToken: deployer-token
            expiration: 2030-01-01T00:00:00Z
        policies: [...]

Unique ids (`AIDA...` for users, `AROA...` for roles) are derived from the name unless the
file gives `id`. Policies are compiled when the file is loaded (dataplane/auth/policy.py); a
malformed file or policy is refused with a message naming where (`IdentitiesError`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import orjson
import yaml

from tollway.dataplane.auth.policy import Policy, PolicyError, Statement


class IdentitiesError(ValueError):
    """An identities file Tollway cannot use; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An IAM user or role."""

    kind: str  # "user" or "role"
    name: str
    path: str
    account_id: str
    unique_id: str  # AIDA... / AROA...
    policy: Policy | None  # its inline policies together; None: it has none
    admin: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:{self.kind}{self.path}{self.name}"


@dataclass(frozen=True, slots=True)
class Credential:
    """An access key: a user's long-term key, or temporary credentials (a session token
    and an expiry) of a user or of a role's session."""

    access_key_id: str
    secret_access_key: str
    principal: Principal
    session_token: str | None = None
    expiration: datetime | None = None
    session_name: str | None = None  # a role session's name

    @property
    def arn(self) -> str:
        """The caller's ARN: the user's, or the role session's `assumed-role` ARN."""
        p = self.principal
        if p.kind == "role":
            return f"arn:aws:sts::{p.account_id}:assumed-role/{p.name}/{self.session_name}"
        return p.arn

    @property
    def caller_id(self) -> str:
        """`aws:userid`: the user's unique id, or `ROLEID:session` for a role session."""
        p = self.principal
        return f"{p.unique_id}:{self.session_name}" if p.kind == "role" else p.unique_id

    @property
    def principal_type(self) -> str:
        """`aws:PrincipalType`."""
        return "AssumedRole" if self.principal.kind == "role" else "User"

    def condition_keys(self) -> dict[str, str]:
        """The IAM condition keys of this caller: `aws:PrincipalArn` (a role session's is
        the role's ARN), `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:userid`,
        `aws:username` (users), `aws:PrincipalTag/<key>`."""
        p = self.principal
        keys = {
            "aws:PrincipalArn": p.arn,
            "aws:PrincipalAccount": p.account_id,
            "aws:PrincipalType": self.principal_type,
            "aws:PrincipalIsAWSService": "false",
            "aws:userid": self.caller_id,
        }
        if p.kind == "user":
            keys["aws:username"] = p.name
        for tag, value in p.tags.items():
            keys[f"aws:PrincipalTag/{tag}"] = value
        return keys


class IdentityStore(Protocol):
    def credential(self, access_key_id: str) -> Credential | None:
        """The credential with this access key id, or None."""
        ...

    def has_admin(self) -> bool:
        """Whether any credential belongs to an admin identity."""
        ...

    def __len__(self) -> int:
        """How many credentials there are."""
        ...


class StaticIdentities:
    """Identities fixed at start (from a file, or none)."""

    def __init__(self, credentials: Mapping[str, Credential] | None = None) -> None:
        self._credentials = dict(credentials or {})

    def credential(self, access_key_id: str) -> Credential | None:
        return self._credentials.get(access_key_id)

    def has_admin(self) -> bool:
        return any(c.principal.admin for c in self._credentials.values())

    def __len__(self) -> int:
        return len(self._credentials)


def load_identities(path: Path, default_account: str) -> tuple[StaticIdentities, list[str]]:
    """The identities a file declares, and warnings about them (policy variables, which
    Tollway does not substitute). Raises IdentitiesError."""
    try:
        text = path.read_text()
    except OSError as e:
        raise IdentitiesError(f"cannot read the identities file {path}: {e.strerror}") from None
    try:
        document = orjson.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as e:
        raise IdentitiesError(f"the identities file {path} is not valid: {e}") from None
    return parse_identities(document, default_account, where=str(path))


def parse_identities(
    document: Any, default_account: str, *, where: str = "identities"
) -> tuple[StaticIdentities, list[str]]:
    """The identities of a parsed identities document. Raises IdentitiesError."""
    if document is None:
        document = {}
    _expect(document, dict, where)
    _only(document, {"accountId", "users", "roles"}, where)
    account = _account(document.get("accountId") or default_account, where)
    credentials: dict[str, Credential] = {}
    warnings: list[str] = []
    for kind, key in (("user", "users"), ("role", "roles")):
        entries = document.get(key) or []
        _expect(entries, list, f"{where}: {key}")
        for index, entry in enumerate(entries):
            here = f"{where}: {key}[{index}]"
            for credential in _principal(kind, entry, account, here, warnings):
                if credential.access_key_id in credentials:
                    raise IdentitiesError(
                        f"{here}: access key {credential.access_key_id} is declared twice"
                    )
                credentials[credential.access_key_id] = credential
    return StaticIdentities(credentials), warnings


def _principal(
    kind: str, entry: Any, account: str, where: str, warnings: list[str]
) -> list[Credential]:
    _expect(entry, dict, where)
    allowed = {"name", "path", "id", "accountId", "admin", "sessions", "tags", "policies"}
    _only(entry, allowed | ({"accessKeys"} if kind == "user" else set()), where)
    name = _string(entry, "name", where)
    if not re.fullmatch(r"[\w+=,.@-]{1,64}", name):
        raise IdentitiesError(f"{where}: name {name!r} is not a valid IAM {kind} name")
    path = str(entry.get("path") or "/")
    if not (path.startswith("/") and path.endswith("/")):
        raise IdentitiesError(f"{where}: path must start and end with '/', not {path!r}")
    tags = entry.get("tags") or {}
    _expect(tags, dict, f"{where}: tags")
    # An identity of another account: a cross-account caller (resource policies, spec §5.4
    # Table B). The file's account otherwise.
    account = _account(entry.get("accountId") or account, where)
    principal = Principal(
        kind=kind,
        name=name,
        path=path,
        account_id=account,
        unique_id=str(entry.get("id") or _unique_id(kind, account, path + name)),
        policy=_policies(entry.get("policies"), f"{where}: policies", warnings),
        admin=bool(entry.get("admin", False)),
        tags={str(k): str(v) for k, v in tags.items()},
    )
    out = []
    for index, key in enumerate(entry.get("accessKeys") or []):
        here = f"{where}: accessKeys[{index}]"
        _expect(key, dict, here)
        _only(key, {"accessKeyId", "secretAccessKey"}, here)
        out.append(
            Credential(
                _string(key, "accessKeyId", here), _string(key, "secretAccessKey", here), principal
            )
        )
    for index, session in enumerate(entry.get("sessions") or []):
        here = f"{where}: sessions[{index}]"
        _expect(session, dict, here)
        fields = {"accessKeyId", "secretAccessKey", "sessionToken", "expiration", "sessionName"}
        _only(session, fields, here)
        session_name = session.get("sessionName")
        if kind == "role" and not session_name:
            raise IdentitiesError(f"{here}: sessionName is required for a role's session")
        out.append(
            Credential(
                _string(session, "accessKeyId", here),
                _string(session, "secretAccessKey", here),
                principal,
                session_token=_string(session, "sessionToken", here),
                expiration=_expiration(session.get("expiration"), here),
                session_name=str(session_name) if session_name else None,
            )
        )
    return out


def _policies(raw: Any, where: str, warnings: list[str]) -> Policy | None:
    """All inline policies of an identity as one policy (IAM evaluates them together)."""
    if not raw:
        return None
    named = (
        raw.items() if isinstance(raw, dict) else enumerate(raw) if isinstance(raw, list) else None
    )
    if named is None:
        raise IdentitiesError(f"{where} must map policy names to documents, or list documents")
    statements: list[Statement] = []
    for name, document in named:
        try:
            policy = Policy.parse(document)
        except PolicyError as e:
            raise IdentitiesError(f"{where} {name!r}: {e}") from None
        statements.extend(policy.statements)
        warnings.extend(f"{where} {name!r}: {w}" for w in policy.warnings)
    return Policy(tuple(statements), [])


def _account(raw: Any, where: str) -> str:
    account = str(raw)
    if not re.fullmatch(r"\d{12}", account):
        raise IdentitiesError(f"{where}: accountId must be 12 digits, not {account!r}")
    return account


def _expiration(raw: Any, where: str) -> datetime:
    if isinstance(raw, datetime):  # YAML reads an unquoted timestamp itself
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if not isinstance(raw, str):
        raise IdentitiesError(
            f"{where}: expiration is required (ISO 8601, e.g. 2030-01-01T00:00:00Z)"
        )
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise IdentitiesError(f"{where}: expiration {raw!r} is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _unique_id(kind: str, account: str, name: str) -> str:
    digest = hashlib.sha256(f"{account}:{kind}:{name}".encode()).digest()
    prefix = "AROA" if kind == "role" else "AIDA"
    return prefix + base64.b32encode(digest).decode()[:17]


def _string(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise IdentitiesError(f"{where}: {key} is required (a string)")
    return value


def _expect(value: Any, kind: type, where: str) -> None:
    if not isinstance(value, kind):
        noun = "a mapping" if kind is dict else "a list"
        raise IdentitiesError(f"{where} must be {noun}")


def _only(entry: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise IdentitiesError(
            f"{where}: unknown field {unknown[0]!r} (expected one of {', '.join(sorted(allowed))})"
        )
