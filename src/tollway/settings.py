"""Typed settings. Each has a command-line flag and a `TOLLWAY_<NAME>` environment variable;
the flag wins over the variable, the variable over the default."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

ACCESS_LOG_TARGETS = ("file", "stdout", "both", "off")
ADMIN_AUTH_MODES = ("auto", "on", "off")
_STATE_SCHEMES = ("redis", "rediss")
_URL_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class Settings:
    host: str = field(default="127.0.0.1", metadata={"help": "gateway (data plane) address"})
    port: int = field(default=8080, metadata={"help": "gateway port (0 picks a free one)"})
    tls_port: int = field(
        default=-1,
        metadata={
            "help": "HTTPS gateway port on the gateway address: custom domains' certificates "
            "by SNI, mutual TLS (-1: none, 0 picks a free one)"
        },
    )
    tls_cert: str = field(
        default="",
        metadata={
            "help": "PEM certificate (chain) the HTTPS listener serves names without one "
            "(default: one it generates, self-signed)"
        },
    )
    tls_key: str = field(default="", metadata={"help": "the private key of --tls-cert (PEM)"})
    admin_host: str = field(
        default="127.0.0.1", metadata={"help": "control-plane address (keep it on loopback)"}
    )
    admin_port: int = field(default=8081, metadata={"help": "control-plane port (0: any)"})
    data_dir: Path = field(
        default=Path(".tollway"), metadata={"help": "where the store and logs live"}
    )
    region: str = field(default="us-east-1", metadata={"help": "AWS region Tollway reports"})
    account_id: str = field(
        default="000000000000", metadata={"help": "AWS account id Tollway reports"}
    )
    stage: str = field(
        default="",
        metadata={
            "help": "stage the files given to serve deploy to (when not given: dev for REST "
            "APIs, the auto-deploying $default stage for HTTP APIs)"
        },
    )
    access_log: str = field(
        default="file",
        metadata={"help": "where access log lines go: file (in the data dir), stdout, both, off"},
    )
    log_level: str = field(default="info", metadata={"help": "debug, info, warning or error"})
    function_concurrency: int = field(
        default=10, metadata={"help": "warm workers per function at most (Lambda concurrency)"}
    )
    function_idle_timeout: float = field(
        default=300.0, metadata={"help": "seconds an idle function worker is kept warm"}
    )
    idle_timeout: float = field(
        default=60.0,
        metadata={
            "help": "seconds a gateway client connection may stay idle (before its first "
            "request or between keep-alive requests) and a request may take to send its "
            "headers, before the connection is closed"
        },
    )
    websocket_idle_timeout: float = field(
        default=600.0,
        metadata={
            "help": "seconds a WebSocket connection may go without a client message "
            "(API Gateway: 10 minutes)"
        },
    )
    websocket_max_duration: float = field(
        default=7200.0,
        metadata={"help": "seconds a WebSocket connection may stay open (API Gateway: 2 hours)"},
    )
    websocket_connection_rate: float = field(
        default=500.0,
        metadata={
            "help": "new WebSocket connections a second across the gateway, burst the same "
            "(API Gateway: 500 per account and Region); -1 for no limit"
        },
    )
    websocket_node_ttl: float = field(
        default=30.0,
        metadata={
            "help": "with --state redis://...: seconds after which a gateway process that "
            "stopped renewing its heartbeat is dead and its WebSocket connections are gone"
        },
    )
    event_retry_delay: float = field(
        default=60.0,
        metadata={"help": "seconds before retrying a failed Event invocation (doubles after)"},
    )
    # AWS service integrations (REST `type: AWS` with SQS, DynamoDB, S3, ...).
    aws_endpoints: str = field(
        default="",
        metadata={
            "help": "where AWS service integrations send requests: SERVICE=URL (SERVICE as in "
            "integration URIs, e.g. sqs, dynamodb, states, s3, or * for all; AWS itself if "
            "none), repeatable; the variable takes them comma-separated",
            "flag": "--aws-endpoint",
        },
    )
    aws_profile: str = field(
        default="",
        metadata={
            "help": "profile of the shared AWS config files whose credentials sign AWS service "
            "integrations' requests; without one, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "then botocore's default chain"
        },
    )

    identities: str = field(
        default="",
        metadata={
            "help": "YAML or JSON file of IAM users and roles with their access keys and "
            "policies: who may call AWS_IAM methods and routes, and the control plane's admins"
        },
    )
    admin_auth: str = field(
        default="auto",
        metadata={
            "help": "whether the control plane requires SigV4-signed calls from admin keys: "
            "auto (only when it listens beyond loopback), on, off"
        },
    )
    state: str = field(
        default="memory",
        metadata={
            "help": "where runtime state lives (rate-limit buckets, quota counters, the stage "
            "cache, the authorizer cache, WebSocket connections): memory (this process) or "
            "redis://host:port/db, "
            "shared by every gateway process given the same URL"
        },
    )
    state_prefix: str = field(
        default="tollway",
        metadata={"help": "prefix of this gateway's keys in Redis (separate gateways, one Redis)"},
    )
    account_throttle: str = field(
        default="10000,5000",
        metadata={
            "help": "the account-level throttle every request counts against: RATE,BURST "
            "(requests per second, bucket size; AWS's default 10000,5000)"
        },
    )
    limits_clock: str = field(
        default="off",
        metadata={
            "help": "testing aid: on lets POST /_tollway/clock on the control plane set or "
            "advance the clock of throttling and quotas (never in production)"
        },
    )

    @property
    def state_url(self) -> str | None:
        """The Redis URL of `state`, or None for in-process state."""
        return None if self.state == "memory" else self.state

    @property
    def admin_auth_required(self) -> bool:
        """Whether the control plane requires signed calls (`auto`: beyond loopback)."""
        if self.admin_auth == "auto":
            return not is_loopback(self.admin_host)
        return self.admin_auth == "on"

    @property
    def aws_endpoint_urls(self) -> dict[str, str]:
        """{service or "*": URL} from `aws_endpoints` (validated by `from_env`)."""
        return parse_endpoints(self.aws_endpoints)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "tollway.db"

    @property
    def access_log_path(self) -> Path:
        return self.data_dir / "access.log"

    @property
    def functions_dir(self) -> Path:
        return self.data_dir / "functions"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"


def env_name(field_name: str) -> str:
    return "TOLLWAY_" + field_name.upper()


def from_env(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from defaults, overlaid by TOLLWAY_* variables, overlaid by `overrides`
    (values that are None are ignored, so unset flags fall through)."""
    environ = dict(os.environ) if environ is None else environ
    values: dict[str, object] = {}
    for f in fields(Settings):
        raw = environ.get(env_name(f.name))
        if raw is not None:
            values[f.name] = _convert(f.name, raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.access_log not in ACCESS_LOG_TARGETS:
        raise ValueError(
            f"access log target must be one of {', '.join(ACCESS_LOG_TARGETS)}, "
            f"not {settings.access_log!r}"
        )
    if settings.admin_auth not in ADMIN_AUTH_MODES:
        raise ValueError(
            f"admin auth must be one of {', '.join(ADMIN_AUTH_MODES)}, not {settings.admin_auth!r}"
        )
    if settings.state != "memory" and urlsplit(settings.state).scheme not in _STATE_SCHEMES:
        raise ValueError(f"state must be memory or redis://host:port/db, not {settings.state!r}")
    parse_throttle(settings.account_throttle)
    if settings.limits_clock not in ("on", "off"):
        raise ValueError(f"limits clock must be on or off, not {settings.limits_clock!r}")
    settings.aws_endpoint_urls  # noqa: B018 - raises ValueError on a malformed endpoint
    return settings


def _convert(name: str, raw: str) -> object:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{env_name(name)} must be an integer, not {raw!r}") from None
    if kind == "float":
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{env_name(name)} must be a number, not {raw!r}") from None
    if kind == "Path":
        return Path(raw)
    return raw


def is_loopback(host: str) -> bool:
    """Whether an address to listen on is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: whatever it resolves to, assume beyond loopback


def parse_endpoints(text: str) -> dict[str, str]:
    """`SERVICE=URL[,SERVICE=URL...]` (SERVICE as in integration URIs, or botocore's name, or
    `*` for every service; a bare URL means `*`) → {service: url}. Raises ValueError."""
    endpoints: dict[str, str] = {}
    for item in text.replace(" ", ",").split(","):
        if not item:
            continue
        service, equals, url = item.partition("=")
        if not equals:
            service, url = "*", item
        split = urlsplit(url)
        if not service or split.scheme not in _URL_SCHEMES or not split.hostname:
            raise ValueError(f"AWS endpoint must be SERVICE=http(s)://host[:port], not {item!r}")
        endpoints[service] = url.rstrip("/")
    return endpoints


def parse_throttle(text: str) -> tuple[float, int]:
    """`RATE,BURST` -> (requests per second, burst). Raises ValueError."""
    rate, comma, burst = text.partition(",")
    try:
        parsed = float(rate), int(burst)
    except ValueError:
        parsed = (-1.0, -1)
    if not comma or parsed[0] < 0 or parsed[1] < 0:
        raise ValueError(f"account throttle must be RATE,BURST (e.g. 10000,5000), not {text!r}")
    return parsed
