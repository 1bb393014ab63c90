"""The real AWS CLI (`aws`) against the control plane: a REST API defined, deployed and read
back, an error reported as the CLI reports AWS's errors, and a Lambda function created from a
zip file and invoked. Each CLI call costs about half a second, so this stays a handful."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ACCOUNT, REGION, Server, zip_code


class Cli:
    """Runs `aws` with the server as its endpoint and a configuration of its own."""

    def __init__(self, server: Server, home: Path) -> None:
        self.endpoint = server.admin
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_CONFIG_FILE=str(home / "no-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "no-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_PAGER="",
        )
        self.env = env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [
            "aws",
            *args,
            "--endpoint-url",
            self.endpoint,
            "--region",
            REGION,
            "--output",
            "json",
        ]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=60)

    def json(self, *args: str) -> Any:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.fixture(scope="module")
def cli(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(server, tmp_path_factory.mktemp("aws-cli"))


def test_define_deploy_and_read_a_rest_api(cli: Cli) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    api = cli.json(
        "apigateway",
        "create-rest-api",
        "--name",
        name,
        "--description",
        "from the cli",
        "--endpoint-configuration",
        "types=REGIONAL",
    )
    assert api["name"] == name
    assert api["description"] == "from the cli"
    assert api["endpointConfiguration"] == {"types": ["REGIONAL"], "ipAddressType": "ipv4"}
    api_id, root = api["id"], api["rootResourceId"]

    listed = cli.json("apigateway", "get-rest-apis")
    assert api_id in {item["id"] for item in listed["items"]}

    resource = cli.json(
        "apigateway",
        "create-resource",
        "--rest-api-id",
        api_id,
        "--parent-id",
        root,
        "--path-part",
        "pets",
    )
    assert resource["path"] == "/pets"
    assert resource["parentId"] == root
    method = cli.json(
        "apigateway",
        "put-method",
        "--rest-api-id",
        api_id,
        "--resource-id",
        resource["id"],
        "--http-method",
        "GET",
        "--authorization-type",
        "NONE",
    )
    assert method == {"httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": False}
    integration = cli.json(
        "apigateway",
        "put-integration",
        "--rest-api-id",
        api_id,
        "--resource-id",
        resource["id"],
        "--http-method",
        "GET",
        "--type",
        "HTTP_PROXY",
        "--integration-http-method",
        "GET",
        "--uri",
        "http://example.com/pets",
    )
    assert integration == {
        "type": "HTTP_PROXY",
        "httpMethod": "GET",
        "uri": "http://example.com/pets",
        "connectionType": "INTERNET",
        "passthroughBehavior": "WHEN_NO_MATCH",
        "timeoutInMillis": 29000,
        "cacheNamespace": resource["id"],
        "cacheKeyParameters": [],
    }
    deployment = cli.json(
        "apigateway",
        "create-deployment",
        "--rest-api-id",
        api_id,
        "--stage-name",
        "dev",
        "--variables",
        "color=blue",
    )
    assert set(deployment) == {"id", "createdDate"}
    stage = cli.json("apigateway", "get-stage", "--rest-api-id", api_id, "--stage-name", "dev")
    assert stage["stageName"] == "dev"
    assert stage["deploymentId"] == deployment["id"]
    assert stage["variables"] == {"color": "blue"}


def test_errors_exit_non_zero_with_the_aws_error(cli: Cli) -> None:
    done = cli.run("apigateway", "get-rest-api", "--rest-api-id", "nosuchapi0")
    assert done.returncode != 0
    assert done.stdout == ""
    assert (
        "An error occurred (NotFoundException) when calling the GetRestApi operation: "
        f"Invalid API identifier specified {ACCOUNT}:nosuchapi0"
    ) in done.stderr


def test_lambda_create_function_from_a_zip_file_and_invoke(cli: Cli, tmp_path: Path) -> None:
    name = f"cli-fn-{uuid.uuid4().hex[:8]}"
    archive = tmp_path / "function.zip"
    source = (
        "def handler(event, context):\n    return {'got': event, 'name': context.function_name}\n"
    )
    archive.write_bytes(zip_code({"app.py": source}))
    created = cli.json(
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        "python3.11",
        "--handler",
        "app.handler",
        "--role",
        f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
        "--zip-file",
        f"fileb://{archive}",
    )
    assert created["FunctionName"] == name
    assert created["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    assert created["CodeSize"] == archive.stat().st_size
    assert created["State"] == "Active"
    outfile = tmp_path / "out.json"
    invoked = cli.json(
        "lambda", "invoke", "--function-name", name, "--payload", '{"hello": "cli"}', str(outfile)
    )
    assert invoked == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    assert json.loads(outfile.read_text()) == {"got": {"hello": "cli"}, "name": name}


def test_custom_domain_commands_of_the_docs(cli: Cli, tmp_path: Path) -> None:
    """docs/custom-domains.md: acm import-certificate, create-domain-name,
    create-base-path-mapping, create-api-mapping."""
    from tests.e2e.certificates import issue

    ca = issue("Docs CA", ca=True)
    name = f"cli-{uuid.uuid4().hex[:8]}.example.com"
    cert_file, key_file = issue(name, ca, dns=name).files(tmp_path, "server")
    (tmp_path / "ca.pem").write_bytes(ca.pem)
    arn = cli.json(
        "acm", "import-certificate", "--certificate", f"fileb://{cert_file}",
        "--private-key", f"fileb://{key_file}", "--certificate-chain", f"fileb://{tmp_path}/ca.pem",
    )["CertificateArn"]  # fmt: skip
    assert (
        cli.json("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"][
            "DomainName"
        ]
        == name
    )
    domain = cli.json(
        "apigateway", "create-domain-name", "--domain-name", name,
        "--regional-certificate-arn", arn, "--endpoint-configuration", "types=REGIONAL",
        "--security-policy", "TLS_1_2",
    )  # fmt: skip
    assert domain["regionalCertificateArn"] == arn
    api_id = cli.json("apigateway", "create-rest-api", "--name", "cli-domains")["id"]
    root = cli.json("apigateway", "get-resources", "--rest-api-id", api_id)["items"][0]["id"]
    cli.json("apigateway", "put-method", "--rest-api-id", api_id, "--resource-id", root,
             "--http-method", "GET", "--authorization-type", "NONE")  # fmt: skip
    cli.json("apigateway", "put-integration", "--rest-api-id", api_id, "--resource-id", root,
             "--http-method", "GET", "--type", "MOCK")  # fmt: skip
    cli.json("apigateway", "create-deployment", "--rest-api-id", api_id, "--stage-name", "prod")
    mapping = cli.json(
        "apigateway", "create-base-path-mapping", "--domain-name", name, "--rest-api-id", api_id,
        "--stage", "prod", "--base-path", "pets",
    )  # fmt: skip
    assert mapping == {"basePath": "pets", "restApiId": api_id, "stage": "prod"}
    patched = cli.json(
        "apigateway", "update-base-path-mapping", "--domain-name", name, "--base-path", "pets",
        "--patch-operations", "op=replace,path=/basePath,value=zoo",
    )  # fmt: skip
    assert patched["basePath"] == "zoo"
    done = cli.run("acm", "delete-certificate", "--certificate-arn", arn)
    assert done.returncode != 0 and "ResourceInUseException" in done.stderr
    cli.json("apigateway", "delete-domain-name", "--domain-name", name)
    cli.json("acm", "delete-certificate", "--certificate-arn", arn)
