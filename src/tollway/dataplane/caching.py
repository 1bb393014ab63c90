"""The stage cache, compiled: which methods are cached, for how long, under which key, and who
may invalidate an entry (spec §8). The stages are handlers/cache_lookup.py and cache_store.py;
the entries live in state/response_cache.py (memory) or state/redis_response_cache.py.

What is cached (resolved when the stage is compiled, nothing is looked up per request):
- nothing unless the stage's cache cluster is on (`cacheClusterEnabled`);
- a method is cached per its method setting `{resourcePath}/{METHOD}` (`~1pets/GET`), else
  per `*/*` — which applies to GET methods only: "When you enable caching for a stage, only
  GET methods have caching enabled by default" (AWS, api-gateway-caching). Caching is on when
  the setting's `cachingEnabled` is true and its `cacheTtlInSeconds` (default 300, at most
  3600) is not 0. With the cluster on and no method setting enabling caching nothing is
  cached, and the stage's warnings say so (UNCONFIRMED: whether AWS then caches GET
  methods; the console's "Enable API cache" sets `*/*/caching/enabled` as well).
- What is stored: the method's response as the integration response (or a proxy integration)
  made it, whatever its status — AWS caches non-2xx integration responses too (users report
  a backend's 429 being served from the cache; StackOverflow 45883323,
  DianaIonita/serverless-api-gateway-caching#125) — and never an error API Gateway itself
  raised (authorization, validation, integration timeouts, malformed Lambda answers). Not
  stored: bodies and headers over 1,048,576 bytes.

The key: the serving deployment (canary and production serving different deployments cache
separately, the same deployment shares entries), the cache namespace (`cacheNamespace`, by
default the resource), the HTTP method (the request's, for an ANY method), and the values of
`Integration.cacheKeyParameters` (`method.request.path|querystring|multivaluequerystring|
header|multivalueheader.<name>`), each read by a getter compiled here. A parameter not in
the key is ignored, so requests that differ only by it share an entry — path parameters too,
as on AWS; a warning names a cached path parameter left out of the key.

Invalidation: a request with `Cache-Control: max-age=0` is answered by the integration and its
response replaces the entry — if the caller may: without `requireAuthorizationForCacheControl`
anyone may; with it, a SigV4-signed caller whose identity policies allow
`execute-api:InvalidateCache` on the method ARN
(`arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{path}`). Anyone else gets
`unauthorizedCacheControlHeaderStrategy`: FAIL_WITH_403 (ACCESS_DENIED, 403
`{"Message":"User: anonymous is not authorized to perform: execute-api:InvalidateCache on
resource: <arn>"}`, the wording of AWS's Invoke refusals: UNCONFIRMED for this case),
SUCCEED_WITH_RESPONSE_HEADER (the header ignored, the cached answer served, with
`WARNING_HEADER`: UNCONFIRMED, AWS documents only "a warning header"), or
SUCCEED_WITHOUT_RESPONSE_HEADER (the header silently ignored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from tollway.auth import sigv4
from tollway.dataplane.auth.arns import rest_method_arn
from tollway.dataplane.auth.iam import SERVICES, request_facts
from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.mapping.parameters import REQUEST, MappingError, compile_source
from tollway.state.response_cache import StageCache, capacity_bytes

if TYPE_CHECKING:
    from tollway.auth.identities import IdentityStore
    from tollway.dataplane.context import RestContext
    from tollway.dataplane.integrations import IntegrationServices
    from tollway.model.rest import Integration, Stage

INVALIDATE_ACTION = "execute-api:InvalidateCache"
DEFAULT_TTL = 300
MAX_TTL = 3600
FAIL_WITH_403 = "FAIL_WITH_403"
SUCCEED_WITH_RESPONSE_HEADER = "SUCCEED_WITH_RESPONSE_HEADER"
WARNING_HEADER = (
    "Warning",
    '199 - "Cache-Control header ignored: the caller is not authorized to invalidate the cache"',
)
_KEY_SOURCES = ("path", "querystring", "multivaluequerystring", "header", "multivalueheader")


@dataclass(frozen=True, slots=True)
class CacheSetting:
    """A method's caching as its method settings resolve it."""

    ttl: int
    require_authorization: bool
    strategy: str


@dataclass(slots=True)
class MethodCache:
    """A cached method, compiled (`CompiledMethod.cache`)."""

    store: StageCache
    ttl: int
    prefix: str  # deployment, namespace, method: the key of a method without parameters
    parameters: tuple[tuple[str, Callable[[RestContext], Any]], ...]
    any_method: bool  # an ANY method: the request's own method is part of the key
    require_authorization: bool
    strategy: str
    identities: IdentityStore
    region: str

    def key(self, ctx: RestContext) -> str:
        prefix = self.prefix + ctx.request.method if self.any_method else self.prefix
        if not self.parameters:
            return prefix
        parts = [prefix]
        for name, get in self.parameters:
            value = _key_text(get(ctx))
            # Length-prefixed, so no value can imitate another parameter's part.
            parts.append(f"{name}=-" if value is None else f"{name}={len(value)}:{value}")
        return "\n".join(parts)

    def may_invalidate(self, ctx: RestContext) -> bool:
        """Whether this caller may send `Cache-Control: max-age=0` (module docstring)."""
        if not self.require_authorization:
            return True
        request = ctx.request
        identity = ctx.identity
        if identity is not None and identity.access_key:
            credential = self.identities.credential(identity.access_key)  # verified by AWS_IAM
        elif request.header("Authorization"):
            try:
                credential = sigv4.verify(
                    request, self.identities.credential, region=self.region, services=SERVICES
                )
            except sigv4.SignatureError:
                return False
        else:
            return False
        policy = credential.principal.policy if credential is not None else None
        if policy is None or credential is None:
            return False
        facts = request_facts(request, self.region, credential.condition_keys())
        decision = policy.evaluate(INVALIDATE_ACTION, rest_method_arn(ctx), facts=facts)
        return decision is Decision.ALLOW

    def refusal(self, ctx: RestContext) -> str:
        caller = ctx.identity.user_arn if ctx.identity and ctx.identity.user_arn else "anonymous"
        return (
            f"User: {caller} is not authorized to perform: {INVALIDATE_ACTION} on resource: "
            f"{rest_method_arn(ctx)}"
        )


def _key_text(value: Any) -> str | None:
    """A parameter's value in a key: a multi-value one as JSON (["a,b"] is not ["a", "b"])."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode() if isinstance(value, list) else str(value)


def setting_key(resource_path: str, http_method: str) -> str:
    """The methodSettings key of a method: `/pets/{id}` GET -> `~1pets~1{id}/GET`."""
    return resource_path.replace("~", "~0").replace("/", "~1") + "/" + http_method


def resolve(stage: Stage, resource_path: str, http_method: str) -> CacheSetting | None:
    """The method's caching, or None when it is not cached (module docstring)."""
    if not stage.get("cacheClusterEnabled"):
        return None
    settings = stage.get("methodSettings") or {}
    setting = settings.get(setting_key(resource_path, http_method))
    if setting is None and http_method == "GET":
        setting = settings.get("*/*")
    if setting is None or not setting.get("cachingEnabled"):
        return None
    ttl = min(int(setting.get("cacheTtlInSeconds", DEFAULT_TTL)), MAX_TTL)
    if ttl <= 0:
        return None
    return CacheSetting(
        ttl=ttl,
        require_authorization=bool(setting.get("requireAuthorizationForCacheControl", True)),
        strategy=setting.get("unauthorizedCacheControlHeaderStrategy")
        or SUCCEED_WITH_RESPONSE_HEADER,
    )


def method_cache(
    *,
    api_id: str,
    stage: Stage,
    deployment_id: str,
    resource_id: str,
    resource_path: str,
    http_method: str,
    integration: Integration | None,
    services: IntegrationServices,
    warnings: list[str],
) -> MethodCache | None:
    """The method's compiled cache, or None (uncached: its requests pay one attribute check).
    Problems are appended to `warnings` (without the method's name: the caller adds it)."""
    setting = resolve(stage, resource_path, http_method)
    if setting is None or integration is None:
        return None
    parameters = []
    for name in integration.get("cacheKeyParameters") or []:
        location, _, rest = name.removeprefix("method.request.").partition(".")
        if not name.startswith("method.request.") or location not in _KEY_SOURCES or not rest:
            warnings.append(
                f"the cache key parameter {name} is not supported (method.request.path, "
                "querystring, multivaluequerystring, header, multivalueheader are): the "
                "method is not cached"
            )
            return None
        try:
            parameters.append((name, compile_source(name, REQUEST, {})))
        except MappingError as e:
            warnings.append(f"the cache key parameter {name} cannot be read ({e}): not cached")
            return None
    keyed = {n.removeprefix("method.request.path.") for n, _ in parameters}
    for part in resource_path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1].removesuffix("+")
            if name not in keyed:
                warnings.append(
                    f"the cache key leaves out the path parameter {name} "
                    f"(cacheKeyParameters method.request.path.{name}): every {name} shares "
                    "one cached response, as on AWS"
                )
    namespace = integration.get("cacheNamespace") or resource_id
    handle = services.response_cache.stage(
        api_id, stage["stageName"], capacity_bytes(stage.get("cacheClusterSize"))
    )
    return MethodCache(
        store=handle,
        ttl=setting.ttl,
        prefix=f"{deployment_id}\n{namespace}\n" + ("" if http_method == "ANY" else http_method),
        parameters=tuple(parameters),
        any_method=http_method == "ANY",
        require_authorization=setting.require_authorization,
        strategy=setting.strategy,
        identities=services.auth.identities,
        region=services.region,
    )


def cache_warnings(stage: Stage) -> list[str]:
    """What a stage's cache settings do not do (compile.py's stage warnings)."""
    found = []
    settings = stage.get("methodSettings") or {}
    caching = [key for key, s in settings.items() if s.get("cachingEnabled")]
    if stage.get("cacheClusterEnabled") and not caching:
        found.append(
            "the stage cache (cacheClusterEnabled) is on but no method setting enables caching: "
            "nothing is cached (patch /*/*/caching/enabled or /{resourcePath}/{httpMethod}/"
            "caching/enabled to true)"
        )
    if not stage.get("cacheClusterEnabled") and caching:
        found.append(
            f"method caching ({', '.join(caching)}) has no effect: the stage cache "
            "(cacheClusterEnabled) is off"
        )
    for key, s in settings.items():
        if s.get("cachingEnabled") and s.get("cacheDataEncrypted"):
            found.append(f"cacheDataEncrypted ({key}): Tollway keeps cached responses unencrypted")
    return found
