"""REST API request routing end to end (spec §1.1-1.4): resource precedence, method-aware
fallback, ANY, HEAD, slashes, unmatched requests (403 Missing Authentication Token),
host-based and path-based invocation, and how deployments and stages decide what is served
(spec §7.1). Every method is a MOCK answering a body that names the route it took."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, add_path, deploy, mock_method, new_api

MISSING_TOKEN = {"message": "Missing Authentication Token"}


def _api(apigw: Any, routes: dict[str, dict[str, str]]) -> str:
    """An API whose `routes` (path -> {verb: body}) are MOCK methods, deployed to `test`."""
    api_id, root = new_api(apigw, f"routing-{uuid.uuid4().hex[:8]}")
    for path, methods in routes.items():
        resource = root if path == "/" else add_path(apigw, api_id, root, path)
        for verb, body in methods.items():
            mock_method(apigw, api_id, resource, verb, body)
    deploy(apigw, api_id, "test")
    return api_id


def _assert_missing_token(response: httpx.Response) -> None:
    assert response.status_code == 403
    assert response.json() == MISSING_TOKEN
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


@pytest.fixture(scope="module")
def precedence_api(apigw: Any) -> str:
    """The spec's LS-validated precedence example, plus static/param/greedy at one depth."""
    return _api(apigw, {
        "/part1": {"GET": "part1"},
        "/{param+}": {"GET": "greedy:$input.params('param')"},
        "/part1/hardcoded-value": {"GET": "hardcoded"},
        "/files/static": {"GET": "static"},
        "/files/{name}": {"GET": "param:$input.params('name')"},
    })  # fmt: skip


@pytest.fixture(scope="module")
def method_aware_api(apigw: Any) -> str:
    """`/test` (POST only), `/test/any` (ANY), `/{proxy+}` (OPTIONS only): spec §1.2."""
    return _api(apigw, {
        "/test": {"POST": "test-post"},
        "/test/any": {"ANY": "test-any"},
        "/{proxy+}": {"OPTIONS": "proxy-options"},
    })  # fmt: skip


@pytest.fixture(scope="module")
def routes_api(apigw: Any) -> str:
    """No greedy resource and no root method, so unmatched requests stay unmatched."""
    return _api(apigw, {
        "/res": {"GET": "res-get", "ANY": "res-any"},
        "/getonly": {"GET": "getonly"},
    })  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/part1", "part1"),
        ("/part1/hardcoded-value", "hardcoded"),
        ("/part1/random-value", "greedy:part1/random-value"),
        ("/elsewhere/a/b", "greedy:elsewhere/a/b"),
    ],
)
def test_static_resources_win_and_the_greedy_sibling_takes_the_rest(
    server: Server, precedence_api: str, http: httpx.Client, path: str, body: str
) -> None:
    response = http.get(server.url(precedence_api, "test", path))
    assert response.status_code == 200
    assert response.text == body


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/files/static", "static"),
        ("/files/other", "param:other"),
        ("/files/other/deeper", "greedy:files/other/deeper"),
        ("/files", "greedy:files"),
    ],
)
def test_static_beats_param_beats_greedy(server: Server, precedence_api: str,
                                         http: httpx.Client, path: str,
                                         body: str) -> None:  # fmt: skip
    response = http.get(server.url(precedence_api, "test", path))
    assert response.status_code == 200
    assert response.text == body


def test_an_encoded_slash_does_not_split_a_segment(server: Server, precedence_api: str,
                                                   http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(precedence_api, "test", "/files/a%2Fb"))
    assert response.status_code == 200
    assert response.text.startswith("param:")


@pytest.mark.parametrize(
    ("verb", "path", "body"),
    [
        ("POST", "/test", "test-post"),
        ("OPTIONS", "/test", "proxy-options"),
        ("OPTIONS", "/test/any", "test-any"),
        ("DELETE", "/test/any", "test-any"),
        ("OPTIONS", "/somewhere/else", "proxy-options"),
    ],
)
def test_matching_is_method_aware(server: Server, method_aware_api: str, http: httpx.Client,
                                  verb: str, path: str, body: str) -> None:  # fmt: skip
    response = http.request(verb, server.url(method_aware_api, "test", path))
    assert response.status_code == 200
    assert response.text == body


def test_no_resource_with_the_verb_anywhere_is_403(server: Server, method_aware_api: str,
                                                   http: httpx.Client) -> None:  # fmt: skip
    _assert_missing_token(http.get(server.url(method_aware_api, "test", "/test")))


def test_explicit_method_beats_any_on_the_same_resource(server: Server, routes_api: str,
                                                        http: httpx.Client) -> None:  # fmt: skip
    assert http.get(server.url(routes_api, "test", "/res")).text == "res-get"


@pytest.mark.parametrize("verb", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_any_serves_the_verbs_without_their_own_method(server: Server, routes_api: str,
                                                       http: httpx.Client,
                                                       verb: str) -> None:  # fmt: skip
    response = http.request(verb, server.url(routes_api, "test", "/res"))
    assert response.status_code == 200
    assert response.text == "res-any"


def test_any_serves_head(server: Server, routes_api: str, http: httpx.Client) -> None:
    response = http.head(server.url(routes_api, "test", "/res"))
    assert response.status_code == 200
    assert response.content == b""


def test_head_is_not_served_by_get(server: Server, routes_api: str, http: httpx.Client) -> None:
    response = http.head(server.url(routes_api, "test", "/getonly"))
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert response.content == b""


def test_trailing_slash_hits_the_same_resource(server: Server, routes_api: str,
                                               http: httpx.Client) -> None:  # fmt: skip
    response = http.get(server.url(routes_api, "test", "/res/"))
    assert response.status_code == 200
    assert response.text == "res-get"


def test_extra_slash_after_the_stage_is_ignored(server: Server, routes_api: str,
                                                http: httpx.Client) -> None:  # fmt: skip
    path_based = http.get(server.url(routes_api, "test", "//res"))
    assert path_based.status_code == 200
    assert path_based.text == "res-get"
    host_based = http.get(f"{server.gateway}/test//res", headers={"Host": server.host(routes_api)})
    assert host_based.status_code == 200
    assert host_based.text == "res-get"


def test_resource_paths_are_case_sensitive(server: Server, routes_api: str,
                                           http: httpx.Client) -> None:  # fmt: skip
    _assert_missing_token(http.get(server.url(routes_api, "test", "/RES")))


def test_unknown_path_is_403(server: Server, routes_api: str, http: httpx.Client) -> None:
    _assert_missing_token(http.get(server.url(routes_api, "test", "/nope")))
    _assert_missing_token(http.get(server.url(routes_api, "test", "/res/child")))


def test_unknown_method_is_403(server: Server, routes_api: str, http: httpx.Client) -> None:
    _assert_missing_token(http.post(server.url(routes_api, "test", "/getonly"), content=b"{}"))
    _assert_missing_token(http.delete(server.url(routes_api, "test", "/getonly")))


def test_unknown_stage_is_403(server: Server, routes_api: str, http: httpx.Client) -> None:
    _assert_missing_token(http.get(server.url(routes_api, "nostage", "/res")))
    _assert_missing_token(
        http.get(f"{server.gateway}/nostage/res", headers={"Host": server.host(routes_api)})
    )


def test_stage_root_without_a_root_method_is_403(server: Server, routes_api: str,
                                                 http: httpx.Client) -> None:  # fmt: skip
    _assert_missing_token(http.get(server.url(routes_api, "test", "/")))
    _assert_missing_token(http.get(server.url(routes_api, "test", "")))
    _assert_missing_token(
        http.get(f"{server.gateway}/test/", headers={"Host": server.host(routes_api)})
    )


def test_stage_root_with_a_root_method(server: Server, apigw: Any, http: httpx.Client) -> None:
    api_id = _api(apigw, {"/": {"GET": "root"}})
    assert http.get(server.url(api_id, "test", "/")).text == "root"
    assert http.get(f"{server.gateway}/test", headers={"Host": server.host(api_id)}).text == "root"


def test_host_based_and_path_based_invocation_reach_the_same_method(
    server: Server, routes_api: str, http: httpx.Client
) -> None:
    path_based = http.get(server.url(routes_api, "test", "/res"))
    host_based = http.get(f"{server.gateway}/test/res", headers={"Host": server.host(routes_api)})
    assert path_based.status_code == host_based.status_code == 200
    assert path_based.text == host_based.text == "res-get"
    # the Host may carry any suffix after `.execute-api.`, and a port
    port = server.gateway.rsplit(":", 1)[1]
    regional = http.get(
        f"{server.gateway}/test/res",
        headers={"Host": f"{routes_api}.execute-api.us-east-1.amazonaws.com:{port}"},
    )
    assert regional.text == "res-get"


def test_unknown_api_id_is_404_naming_the_id(server: Server, http: httpx.Client) -> None:
    """Tollway's choice (server.py): AWS would not resolve the host at all."""
    path_based = http.get(server.url("nosuchapi1", "test", "/res"))
    assert path_based.status_code == 404
    assert "nosuchapi1" in path_based.json()["message"]
    host_based = http.get(f"{server.gateway}/test/res", headers={"Host": server.host("nosuchapi2")})
    assert host_based.status_code == 404
    assert "nosuchapi2" in host_based.json()["message"]


def test_an_api_that_was_never_deployed_is_403_on_any_stage(
    server: Server, apigw: Any, http: httpx.Client
) -> None:
    """The API exists (its host would resolve on AWS); it has no such stage: spec §1.3."""
    api_id, _ = _versioned_api(apigw)
    _assert_missing_token(http.get(server.url(api_id, "test", "/v")))
    _assert_missing_token(
        http.get(f"{server.gateway}/test/v", headers={"Host": server.host(api_id)})
    )


def test_a_deleted_api_is_404(server: Server, apigw: Any, http: httpx.Client) -> None:
    api_id, _ = _versioned_api(apigw)
    deploy(apigw, api_id, "test")
    assert http.get(server.url(api_id, "test", "/v")).text == "v1"
    apigw.delete_rest_api(restApiId=api_id)
    response = http.get(server.url(api_id, "test", "/v"))
    assert response.status_code == 404
    assert api_id in response.json()["message"]


def test_a_host_that_names_no_api_is_404(server: Server, http: httpx.Client) -> None:
    response = http.get(f"{server.gateway}/test/res", headers={"Host": "example.com"})
    assert response.status_code == 404
    assert "message" in response.json()


# --- deployments and stages -----------------------------------------------------------------


def _versioned_api(apigw: Any) -> tuple[str, str]:
    """An API whose GET /v answers "v1"; (api id, /v resource id). Nothing deployed yet."""
    api_id, root = new_api(apigw, f"routing-{uuid.uuid4().hex[:8]}")
    resource = add_path(apigw, api_id, root, "/v")
    mock_method(apigw, api_id, resource, "GET", "v1")
    return api_id, resource


def _set_body(apigw: Any, api_id: str, resource: str, body: str) -> None:
    apigw.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod="GET",
                                   statusCode="200",
                                   responseTemplates={"application/json": body})  # fmt: skip


def test_edits_are_served_only_after_a_new_deployment(server: Server, apigw: Any,
                                                      http: httpx.Client) -> None:  # fmt: skip
    api_id, resource = _versioned_api(apigw)
    deploy(apigw, api_id, "test")
    url = server.url(api_id, "test", "/v")
    assert http.get(url).text == "v1"
    _set_body(apigw, api_id, resource, "v2")
    assert http.get(url).text == "v1"
    deploy(apigw, api_id, "test")
    assert http.get(url).text == "v2"


def test_a_new_resource_is_routed_only_after_a_new_deployment(
    server: Server, apigw: Any, http: httpx.Client
) -> None:
    api_id, _ = _versioned_api(apigw)
    deploy(apigw, api_id, "test")
    root = apigw.get_rest_api(restApiId=api_id)["rootResourceId"]
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/later"), "GET", "later")
    _assert_missing_token(http.get(server.url(api_id, "test", "/later")))
    deploy(apigw, api_id, "test")
    assert http.get(server.url(api_id, "test", "/later")).text == "later"


def test_stages_on_different_deployments_serve_different_things_and_roll_back(
    server: Server, apigw: Any, http: httpx.Client
) -> None:
    api_id, resource = _versioned_api(apigw)
    first = deploy(apigw, api_id, "one")
    _set_body(apigw, api_id, resource, "v2")
    deploy(apigw, api_id, "two")
    assert http.get(server.url(api_id, "one", "/v")).text == "v1"
    assert http.get(server.url(api_id, "two", "/v")).text == "v2"
    apigw.update_stage(restApiId=api_id, stageName="two", patchOperations=[
        {"op": "replace", "path": "/deploymentId", "value": first}])  # fmt: skip
    assert http.get(server.url(api_id, "two", "/v")).text == "v1"
    assert http.get(server.url(api_id, "one", "/v")).text == "v1"


def test_a_stage_created_on_an_older_deployment_serves_it(server: Server, apigw: Any,
                                                         http: httpx.Client) -> None:  # fmt: skip
    api_id, resource = _versioned_api(apigw)
    first = deploy(apigw, api_id, "one")
    _set_body(apigw, api_id, resource, "v2")
    deploy(apigw, api_id, "one")
    apigw.create_stage(restApiId=api_id, stageName="old", deploymentId=first)
    assert http.get(server.url(api_id, "old", "/v")).text == "v1"
    assert http.get(server.url(api_id, "one", "/v")).text == "v2"


def test_a_deleted_stage_is_403(server: Server, apigw: Any, http: httpx.Client) -> None:
    api_id, _ = _versioned_api(apigw)
    deploy(apigw, api_id, "gone")
    deploy(apigw, api_id, "kept")
    assert http.get(server.url(api_id, "gone", "/v")).text == "v1"
    apigw.delete_stage(restApiId=api_id, stageName="gone")
    _assert_missing_token(http.get(server.url(api_id, "gone", "/v")))
    assert http.get(server.url(api_id, "kept", "/v")).text == "v1"


def test_a_deployment_without_a_stage_serves_nothing(server: Server, apigw: Any,
                                                     http: httpx.Client) -> None:  # fmt: skip
    api_id, _ = _versioned_api(apigw)
    deploy(apigw, api_id, "live")
    apigw.create_deployment(restApiId=api_id)  # no stageName: nothing changes
    _assert_missing_token(http.get(server.url(api_id, "test", "/v")))
    assert http.get(server.url(api_id, "live", "/v")).text == "v1"
