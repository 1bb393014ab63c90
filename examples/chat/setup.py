"""Creates the chat room on a running `tollway serve`: four Python functions (run from
./functions as they are: edit and the next call runs the new code) and a WebSocket API with
routes $connect, $disconnect, sendmessage and $default, deployed to the stage `production`.

    python examples/chat/setup.py [--admin http://127.0.0.1:8081] [--gateway http://127.0.0.1:8080]

Run it again to start over: it replaces the API and functions of an earlier run. It prints
the WebSocket URL and the page to open.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3

HERE = Path(__file__).resolve().parent
REGION, ACCOUNT = "us-east-1", "000000000000"
LAMBDA_PATH = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions"
API_NAME = "chat"
STAGE = "production"
# route key -> (function name, handler in functions/app.py)
ROUTES = {
    "$connect": ("chat-onconnect", "app.on_connect"),
    "$disconnect": ("chat-ondisconnect", "app.on_disconnect"),
    "sendmessage": ("chat-sendmessage", "app.send_message"),
    "$default": ("chat-default", "app.default"),
}


def client(service: str, endpoint: str) -> Any:
    # Tollway takes any credentials unless it was started with --identities.
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="chat",
        aws_secret_access_key="chat",
    )


def create_functions(lam: Any, data_dir: Path, api_id: str, runtime: str) -> None:
    for name, handler in ROUTES.values():
        with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
            lam.delete_function(FunctionName=name)
        lam.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=f"arn:aws:iam::{ACCOUNT}:role/chat",
            Handler=handler,
            # LocalStack's convention, which Tollway follows: run this directory in place.
            Code={"S3Bucket": "hot-reload", "S3Key": str(HERE / "functions")},
            Timeout=10,
            Environment={"Variables": {"CHAT_DATA_DIR": str(data_dir), "CHAT_SCHEME": "http"}},
        )
        lam.add_permission(
            FunctionName=name,
            StatementId="apigateway",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
        )


def create_api(v2: Any) -> str:
    for api in v2.get_apis()["Items"]:
        if api["Name"] == API_NAME and api["ProtocolType"] == "WEBSOCKET":
            v2.delete_api(ApiId=api["ApiId"])
    api = v2.create_api(
        Name=API_NAME, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    return str(api["ApiId"])


def create_routes(v2: Any, api_id: str) -> None:
    for key, (name, _) in ROUTES.items():
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        integration = v2.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=f"{LAMBDA_PATH}/{arn}/invocations",
        )
        v2.create_route(
            ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}"
        )
    v2.create_stage(ApiId=api_id, StageName=STAGE)
    v2.create_deployment(ApiId=api_id, StageName=STAGE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin", default="http://127.0.0.1:8081", help="Tollway's control plane")
    parser.add_argument("--gateway", default="http://127.0.0.1:8080", help="Tollway's gateway")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "tollway-chat",
        help="where the functions keep the connection ids (CHAT_DATA_DIR)",
    )
    parser.add_argument(
        "--runtime",
        # Lambda's Python runtimes include boto3; here the interpreter of this runtime must
        # have it: by default this script's own, normally the one running Tollway.
        default=f"python{sys.version_info.major}.{sys.version_info.minor}",
        help="the functions' runtime (default: this Python's version)",
    )
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    (args.data_dir / "connections.sqlite3").unlink(missing_ok=True)

    v2 = client("apigatewayv2", args.admin)
    api_id = create_api(v2)
    create_functions(client("lambda", args.admin), args.data_dir.resolve(), api_id, args.runtime)
    create_routes(v2, api_id)

    url = f"{args.gateway.replace('http', 'ws', 1)}/_aws/execute-api/{api_id}/{STAGE}"
    print(f"API id:    {api_id}")
    print(f"WebSocket: {url}")
    print(f"Page:      http://127.0.0.1:8000/index.html?url={url}")
    print("           (serve it with: python -m http.server -d examples/chat 8000)")


if __name__ == "__main__":
    main()
