"""IAM policy documents, compiled once and evaluated per request (spec §5.3-5.5).

Three kinds of policy decide whether a caller may `execute-api:Invoke` a method ARN:
- the policy a Lambda authorizer returns (compiled when its result is cached, evaluated
  against each request's method ARN);
- an IAM identity's policies (`iam.py`);
- a REST API's resource policy (`resource_policy.py`), the only kind with `Principal`.

Evaluation is IAM's: an explicit Deny in any matching statement wins; otherwise an Allow
allows; otherwise the answer is an implicit deny (`Decision.IMPLICIT`).

A statement matches when its Action/NotAction, Resource/NotResource, Principal/NotPrincipal
and every Condition match. Wildcards `*` and `?` are compiled to one regular expression per
element list. Actions are matched case-insensitively, resources case-sensitively, as IAM does.

Conditions support the operators a policy document commonly uses: String*, Numeric*, Date*,
Bool, IpAddress/NotIpAddress, Arn*, Null, BinaryEquals, each with `...IfExists` and the
`ForAnyValue:` / `ForAllValues:` set qualifiers. Condition keys are case-insensitive. A key the
request does not have makes a positive operator false and a negated one (`StringNotEquals`,
`NotIpAddress`, ...) true, as IAM documents. Policy variables (`${aws:username}`) are not
substituted: a policy using them gets a warning naming them (`Policy.warnings`).

`PolicyError` is raised for documents IAM would reject as malformed; its message says why.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from tollway.dataplane.auth.outcome import Decision


class PolicyError(ValueError):
    """A policy document that is not one (bad JSON, no statements, bad Effect...)."""


RequestValue = str | list[str] | None


class Facts:
    """What conditions are evaluated against: condition keys (case-insensitive) and their
    values, filled by whoever evaluates (a value may be a callable, computed on first use)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values: dict[str, Any] = {k.lower(): v for k, v in (values or {}).items()}

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key.lower()] = value

    def value(self, key: str) -> RequestValue:
        key = key.lower()
        found = self._values.get(key)
        if callable(found):
            found = found()
            self._values[key] = found
        if found is None or isinstance(found, (str, list)):
            return found
        if isinstance(found, bool):
            return "true" if found else "false"
        return str(found)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a resource policy's Principal is matched against: an IAM principal's ARN and
    account, or anonymous (`arn` None: only `"*"` matches). A role session's `role_arn`
    (`arn:aws:iam::{account}:role/{name}`) matches too, as IAM matches a Principal naming
    the role for each of its sessions."""

    arn: str | None = None
    account_id: str | None = None
    role_arn: str | None = None

    @property
    def name(self) -> str:
        """As AWS's AccessDenied message names the caller."""
        return self.arn or "anonymous"


ANONYMOUS = Caller()


def _wildcards(patterns: Iterable[str], *, ignore_case: bool) -> re.Pattern[str]:
    """One regex matching any of the patterns (`*`: any run of characters, `?`: one)."""
    alternatives = []
    for pattern in patterns:
        pieces = re.split(r"([*?])", pattern)  # keeps the wildcards as pieces of their own
        alternatives.append(
            "".join({"*": ".*", "?": "."}.get(piece) or re.escape(piece) for piece in pieces)
        )
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("|".join(f"(?:{a})" for a in alternatives) or "(?!)", flags)


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise PolicyError(f"{where} must be a string or a list of strings")


# --- condition operators -------------------------------------------------------------------


def _number(text: str) -> float:
    return float(text)


def _date(text: str) -> float:
    try:
        return float(text)  # epoch seconds
    except ValueError:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text, strict=False)


def _in_network(request: str, networks: list[Any]) -> bool:
    try:
        address = ipaddress.ip_address(request)
    except ValueError:
        return False
    return any(address in n for n in networks if n.version == address.version)


Matcher = Callable[[str], bool]


def _compare(convert: Callable[[str], Any], test: Callable[[Any, Any], bool]) -> Any:
    def build(values: list[str]) -> Matcher:
        expected = [convert(v) for v in values]

        def match(request: str) -> bool:
            try:
                got = convert(request)
            except ValueError:
                return False
            return any(test(got, e) for e in expected)

        return match

    return build


def _like(values: list[str], *, ignore_case: bool = False) -> Matcher:
    regex = _wildcards(values, ignore_case=ignore_case)
    return lambda request: regex.fullmatch(request) is not None


def _equals(values: list[str]) -> Matcher:
    wanted = frozenset(values)
    return lambda request: request in wanted


def _equals_ignore_case(values: list[str]) -> Matcher:
    wanted = frozenset(v.lower() for v in values)
    return lambda request: request.lower() in wanted


def _ip(values: list[str]) -> Matcher:
    networks = [_network(v) for v in values]
    return lambda request: _in_network(request, networks)


def _bool(values: list[str]) -> Matcher:
    wanted = frozenset(v.lower() for v in values)
    return lambda request: request.lower() in wanted


def _binary(values: list[str]) -> Matcher:
    wanted = frozenset(base64.b64decode(v) for v in values)
    return lambda request: base64.b64decode(request) in wanted if request else False


# name -> (builder of a matcher for the policy's values, negated)
_OPERATORS: dict[str, tuple[Callable[[list[str]], Matcher], bool]] = {
    "stringequals": (_equals, False),
    "stringnotequals": (_equals, True),
    "stringequalsignorecase": (_equals_ignore_case, False),
    "stringnotequalsignorecase": (_equals_ignore_case, True),
    "stringlike": (_like, False),
    "stringnotlike": (_like, True),
    "numericequals": (_compare(_number, lambda a, b: a == b), False),
    "numericnotequals": (_compare(_number, lambda a, b: a == b), True),
    "numericlessthan": (_compare(_number, lambda a, b: a < b), False),
    "numericlessthanequals": (_compare(_number, lambda a, b: a <= b), False),
    "numericgreaterthan": (_compare(_number, lambda a, b: a > b), False),
    "numericgreaterthanequals": (_compare(_number, lambda a, b: a >= b), False),
    "dateequals": (_compare(_date, lambda a, b: a == b), False),
    "datenotequals": (_compare(_date, lambda a, b: a == b), True),
    "datelessthan": (_compare(_date, lambda a, b: a < b), False),
    "datelessthanequals": (_compare(_date, lambda a, b: a <= b), False),
    "dategreaterthan": (_compare(_date, lambda a, b: a > b), False),
    "dategreaterthanequals": (_compare(_date, lambda a, b: a >= b), False),
    "bool": (_bool, False),
    "binaryequals": (_binary, False),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
    "arnequals": (_like, False),
    "arnlike": (_like, False),
    "arnnotequals": (_like, True),
    "arnnotlike": (_like, True),
}


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    match: Matcher | None  # None: the Null operator
    negated: bool
    if_exists: bool
    qualifier: str | None  # "forallvalues" / "foranyvalue" / None
    null_expected: bool = False  # the Null operator: whether the key must be absent

    def holds(self, facts: Facts) -> bool:
        value = facts.value(self.key)
        if self.match is None:  # Null
            return (value is None) == self.null_expected
        if value is None or value == []:
            if self.qualifier == "forallvalues":
                return True
            return self.if_exists or (self.negated and self.qualifier is None)
        values = value if isinstance(value, list) else [value]
        if self.qualifier == "forallvalues":
            return all(self._one(v) for v in values)
        return any(self._one(v) for v in values)

    def _one(self, value: str) -> bool:
        assert self.match is not None
        return self.match(value) != self.negated


def _conditions(block: Any) -> tuple[Condition, ...]:
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise PolicyError("Condition must be an object")
    out = []
    for operator, keys in block.items():
        name = operator.lower()
        qualifier = None
        for prefix in ("forallvalues:", "foranyvalue:"):
            if name.startswith(prefix):
                qualifier, name = prefix[:-1], name[len(prefix) :]
        if_exists = name.endswith("ifexists") and name != "null"
        if if_exists:
            name = name[: -len("ifexists")]
        if not isinstance(keys, dict):
            raise PolicyError(f"Condition {operator} must map condition keys to values")
        for key, raw in keys.items():
            values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _listed(raw)]
            if name == "null":
                expected = values and values[0].lower() == "true"
                out.append(Condition(key, None, False, False, None, bool(expected)))
                continue
            if name not in _OPERATORS:
                raise PolicyError(f"Condition operator {operator} is not supported")
            build, negated = _OPERATORS[name]
            try:
                matcher = build(values)
            except ValueError as error:
                raise PolicyError(f"Condition {operator} on {key}: {error}") from None
            out.append(Condition(key, matcher, negated, if_exists, qualifier))
    return tuple(out)


def _listed(raw: Any) -> list[Any]:
    return raw if isinstance(raw, list) else [raw]


# --- statements and policies ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Elements:
    """Action/NotAction or Resource/NotResource, compiled."""

    regex: re.Pattern[str]
    negated: bool

    def matches(self, value: str) -> bool:
        return (self.regex.fullmatch(value) is not None) != self.negated


@dataclass(frozen=True, slots=True)
class _Principals:
    anyone: bool
    arns: re.Pattern[str] | None
    accounts: frozenset[str]
    negated: bool

    def matches(self, caller: Caller) -> bool:
        found = self.anyone or (
            caller.arn is not None
            and (
                (self.arns is not None and self.arns.fullmatch(caller.arn) is not None)
                or caller.account_id in self.accounts
                or (
                    caller.role_arn is not None
                    and self.arns is not None
                    and self.arns.fullmatch(caller.role_arn) is not None
                )
            )
        )
        return found != self.negated


_ACCOUNT_ROOT = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):root")


def _principals(value: Any, negated: bool) -> _Principals:
    if value == "*":
        return _Principals(True, None, frozenset(), negated)
    if not isinstance(value, dict):
        raise PolicyError('Principal must be "*" or an object such as {"AWS": [...]}')
    arns: list[str] = []
    accounts: set[str] = set()
    anyone = False
    for kind, entries in value.items():
        for entry in _strings(entries, f"Principal {kind}"):
            if entry == "*":
                anyone = True
            elif kind == "AWS" and entry.isdigit():
                accounts.add(entry)
            elif kind == "AWS" and (root := _ACCOUNT_ROOT.fullmatch(entry)):
                accounts.add(root.group(1))
            else:
                arns.append(entry)
    regex = _wildcards(arns, ignore_case=False) if arns else None
    return _Principals(anyone, regex, frozenset(accounts), negated)


@dataclass(frozen=True, slots=True)
class Statement:
    allow: bool
    actions: _Elements
    resources: _Elements
    principals: _Principals | None
    conditions: tuple[Condition, ...]
    sid: str | None = None

    def applies(self, action: str, resource: str, caller: Caller, facts: Facts) -> bool:
        return (
            self.actions.matches(action)
            and self.resources.matches(resource)
            and (self.principals is None or self.principals.matches(caller))
            and all(c.holds(facts) for c in self.conditions)
        )


def _elements(statement: dict[str, Any], name: str, *, ignore_case: bool) -> _Elements:
    positive, negative = statement.get(name), statement.get(f"Not{name}")
    if (positive is None) == (negative is None):
        raise PolicyError(f"each statement needs exactly one of {name} and Not{name}")
    raw = positive if positive is not None else negative
    values = _strings(raw, name)
    return _Elements(_wildcards(values, ignore_case=ignore_case), negative is not None)


_VARIABLE = re.compile(r"\$\{[^}]+\}")


class Policy:
    """A policy document, compiled."""

    __slots__ = ("statements", "warnings", "has_conditions")

    def __init__(self, statements: tuple[Statement, ...], warnings: list[str]) -> None:
        self.statements = statements
        self.warnings = warnings
        # whether a decision can depend on the request's condition keys, not only on the ARN
        self.has_conditions = any(s.conditions for s in statements)

    @classmethod
    def parse(
        cls, document: str | bytes | Mapping[str, Any], *, resource_policy: bool = False
    ) -> Policy:
        """A policy document as JSON text or parsed. `resource_policy`: statements need a
        Principal (or NotPrincipal); elsewhere they may not have one."""
        if isinstance(document, (str, bytes)):
            try:
                document = orjson.loads(document)
            except orjson.JSONDecodeError:
                raise PolicyError("the policy document is not valid JSON") from None
        if not isinstance(document, Mapping):
            raise PolicyError("the policy document must be a JSON object")
        raw = document.get("Statement")
        if isinstance(raw, dict):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise PolicyError("the policy document has no Statement")
        statements = []
        warnings: list[str] = []
        for entry in raw:
            if not isinstance(entry, dict):
                raise PolicyError("each Statement must be an object")
            effect = entry.get("Effect")
            if effect not in ("Allow", "Deny"):
                raise PolicyError(f"Effect must be Allow or Deny, not {effect!r}")
            principal = entry.get("Principal")
            not_principal = entry.get("NotPrincipal")
            principals = None
            if principal is not None or not_principal is not None:
                if not resource_policy:
                    raise PolicyError("Principal is only allowed in a resource policy")
                principals = _principals(
                    principal if principal is not None else not_principal,
                    negated=principal is None,
                )
            elif resource_policy:
                raise PolicyError("each statement of a resource policy needs a Principal")
            for variable in _VARIABLE.findall(orjson.dumps(entry).decode()):
                warnings.append(f"policy variable {variable} is not substituted")
            statements.append(
                Statement(
                    allow=effect == "Allow",
                    actions=_elements(entry, "Action", ignore_case=True),
                    resources=_elements(entry, "Resource", ignore_case=False),
                    principals=principals,
                    conditions=_conditions(entry.get("Condition")),
                    sid=entry.get("Sid"),
                )
            )
        return cls(tuple(statements), warnings)

    def evaluate(
        self,
        action: str,
        resource: str,
        caller: Caller = ANONYMOUS,
        facts: Facts | None = None,
    ) -> Decision:
        facts = facts if facts is not None else _NO_FACTS
        allowed = False
        for statement in self.statements:
            if statement.applies(action, resource, caller, facts):
                if not statement.allow:
                    return Decision.DENY
                allowed = True
        return Decision.ALLOW if allowed else Decision.IMPLICIT


_NO_FACTS = Facts()  # for evaluations without condition keys (read only: nothing to compute)


def combine(*decisions: Decision) -> Decision:
    """Several policies of the same caller together: any Deny denies, any Allow allows."""
    if Decision.DENY in decisions:
        return Decision.DENY
    return Decision.ALLOW if Decision.ALLOW in decisions else Decision.IMPLICIT
