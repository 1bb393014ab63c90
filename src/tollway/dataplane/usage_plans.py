"""API keys and usage plans as the data plane reads them: an index rebuilt on change.

On AWS, keys, usage plans and plan keys take effect without a redeployment. They are store
records of their own (kinds `apikey`, `usageplan`, `usageplankey`), so they are not part of a
compiled deployment: this index holds them, compiled for requests (a key by its value; a key's
plan limits by API stage, with its buckets and quota built), and is rebuilt as a whole — a
single assignment, so a request sees the old index or the new one — after the control plane
reports a change (`ChangeFeed.keys_changed` marks it stale; the next request that reads it
rebuilds it, so a script creating thousands of keys one by one costs one rebuild, not
thousands). A request does two dict lookups.

Processes that share a store and a Redis learn of another process's changes through Redis
(state/key_changes.py); without Redis, when they start.

Choices where AWS is silent: a throttle that gives only one of `rateLimit`/`burstLimit` uses
the account default for the other; a quota `offset` is not applied (a warning says so).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from tollway.state.limits import Bucket, Limits, Quota
from tollway.store import ConfigStore

log = logging.getLogger("tollway.dataplane")

API_KEY_KIND = "apikey"
PLAN_KIND = "usageplan"
PLAN_KEY_KIND = "usageplankey"  # parent: the usage plan id; key: the API key id


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    value: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """One API key's usage plan for one API stage: what its requests are limited by."""

    plan_id: str
    bucket: Bucket | None  # the plan's `throttle`, per key
    methods: dict[str, Bucket] = field(default_factory=dict)  # "/pets/GET" -> bucket
    quota: Quota | None = None


def throttle_bucket(key: str, settings: dict[str, Any], account: Bucket) -> Bucket | None:
    """A bucket for ThrottleSettings-like {rateLimit, burstLimit}; None when neither is set."""
    rate, burst = settings.get("rateLimit"), settings.get("burstLimit")
    if rate is None and burst is None:
        return None
    bucket = Bucket(
        key,
        float(rate) if rate is not None else account.rate,
        int(burst) if burst is not None else account.burst,
    )
    return None if bucket.rate < 0 or bucket.burst < 0 else bucket  # negative: no limit


def plan_quota(plan: dict[str, Any], key_id: str) -> Quota | None:
    """A usage plan's quota for one of its keys, or None: requests count on it, GetUsage and
    UpdateUsage (control/apigateway/usage_plan_keys.py) read and set the same counters."""
    quota = plan.get("quota")
    if not quota:
        return None
    return Quota(f"{plan['id']}:{key_id}", int(quota["limit"]), quota["period"])


class KeyIndex:
    def __init__(self, store: ConfigStore, account: Bucket) -> None:
        self._store = store
        self._account = account
        self._by_value: dict[str, ApiKey] = {}
        self._plans: dict[tuple[str, str, str], PlanLimits] = {}
        self._warned: set[str] = set()
        self._stale = True

    def changed(self) -> None:
        """Keys, plans or plan keys changed: rebuild before the next lookup."""
        self._stale = True

    def key(self, value: str) -> ApiKey | None:
        if self._stale:
            self.reload()
        return self._by_value.get(value)

    def plan(self, api_id: str, stage: str, key_id: str) -> PlanLimits | None:
        """The plan of `key_id` that covers this API stage (AWS allows only one)."""
        return self._plans.get((api_id, stage, key_id))

    def reload(self) -> None:
        self._stale = False
        store = self._store
        by_value = {
            r.body["value"]: ApiKey(r.key, r.body["value"], bool(r.body.get("enabled")))
            for r in store.list(API_KEY_KIND)
        }
        keys_of: dict[str, list[str]] = {}
        for record in store.list(PLAN_KEY_KIND):
            keys_of.setdefault(record.parent, []).append(record.key)
        plans: dict[tuple[str, str, str], PlanLimits] = {}
        for record in store.list(PLAN_KIND):
            plan = record.body
            for key_id in keys_of.get(record.key, ()):
                for stage in plan.get("apiStages") or ():
                    api_id, name = stage["apiId"], stage["stage"]
                    plans[(api_id, name, key_id)] = self._limits(plan, key_id, api_id, name, stage)
        self._by_value, self._plans = by_value, plans

    def _limits(
        self, plan: dict[str, Any], key_id: str, api_id: str, stage_name: str, stage: Any
    ) -> PlanLimits:
        plan_id = plan["id"]
        scope = f"{plan_id}:{key_id}"
        methods = {}
        for method, settings in (stage.get("throttle") or {}).items():
            bucket_key = f"pm:{scope}:{api_id}:{stage_name}:{method}"
            bucket = throttle_bucket(bucket_key, settings, self._account)
            if bucket is not None:
                methods[method] = bucket
        quota = plan.get("quota")
        if quota and quota.get("offset") and plan_id not in self._warned:
            self._warned.add(plan_id)
            log.warning("usage plan %s: the quota offset is not applied (Tollway)", plan_id)
        return PlanLimits(
            plan_id=plan_id,
            bucket=throttle_bucket(f"p:{scope}", plan.get("throttle") or {}, self._account),
            methods=methods,
            quota=plan_quota(plan, key_id),
        )


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """What the API key and throttle stages share, built in the composition root."""

    keys: KeyIndex
    limits: Limits
    account: Bucket  # the account level: --account-throttle
