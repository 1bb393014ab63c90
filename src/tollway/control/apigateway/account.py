"""GetAccount (spec §6.1, §6.3, §16.1; AWS counterpart `GET /account`).

`throttleSettings` is the account level the gateway enforces (`--account-throttle`, AWS's
default 10,000 rps with a burst of 5,000); `features` says usage plans are on, as on every
account since AWS made them the default; `apiKeyVersion` is what AWS answers today ("4").
UpdateAccount (the CloudWatch role, usage-plan migration) is not supported.
"""

from __future__ import annotations

from typing import Any

from tollway.control.operations import Call, OperationTable
from tollway.settings import parse_throttle

ops = OperationTable("apigateway")


@ops("GetAccount")
def get_account(call: Call) -> dict[str, Any]:
    rate, burst = parse_throttle(call.plane.settings.account_throttle)
    return {
        "throttleSettings": {"burstLimit": burst, "rateLimit": rate},
        "features": ["UsagePlans"],
        "apiKeyVersion": "4",
    }
