"""VTL mapping templates end to end (spec §4.5-4.6): a table of templates rendered by a real
gateway, each built by boto3 calls and checked byte for byte; request and response overrides.

Each case's template is the integration request template of an HTTP integration whose
backend (a real echo server on loopback) sends back what it received; the response template
prints the received body as is, so the client sees exactly what the case rendered.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, add_method, add_path, add_response, deploy, new_api

BODY = {"name": "Ann", "tags": ["a", "b"], "address": {"city": "Oslo", "zip": "0150"}}
ECHOED_BODY = {"application/json": "$input.path('$.body')"}

# (template, what it renders for a POST of BODY to /vtl/<n>?q=search with X-Custom: hdr)
CASES = [
    # Java-style printing of what $input.path returns: maps as {k=v}, lists as JSON.
    ("$input.path('$.address')", "{city=Oslo, zip=0150}"),
    ("$input.path('$.tags')", '["a","b"]'),
    ("$input.path('$.name') $input.path('$.tags').size() $input.path('$.tags')[1]", "Ann 2 b"),
    ("$input.json('$.address')", '{"city":"Oslo","zip":"0150"}'),
    ("$input.json('$.nope')", "null"),
    # Undefined references, missing paths and nulls print as nothing.
    ("[$missing][$input.path('$.nope')][$!quiet][${braced}][$missing.deeper.call(1)]", "[][][][][]"),
    ('#if($input.path(\'$.nope\') == "")empty#end #if($undefined)true#end', "empty true"),
    # Template literals and assignments, Java-style.
    ('#set($l = [1, "a", true, 2.5])$l $l.size()', "[1, a, true, 2.5] 4"),
    ('#set($m = {})#set($m.a = 1)#set($m["b"] = "two")#set($k = "c")#set($m[$k] = [])$m',
     "{a=1, b=two, c=[]}"),
    ("#set($m = {'x': {'y': 'z'}})#set($m.x.w = 'v')$m.x", "{y=z, w=v}"),
    # Loops, conditions, string methods.
    ("#foreach($t in $input.path('$.tags'))$t#if($foreach.hasNext),#end#end", "a,b"),
    ("#foreach($v in $input.path('$.address'))$velocityCount=$v;#end", "1=Oslo;2=0150;"),
    ('#if($input.path(\'$.name\') == "Bob")bob#elseif($input.params(\'q\') == "search")q#end', "q"),
    ("$input.path('$.name').toUpperCase() $input.path('$.name').length()", "ANN 3"),
    ("#set($s = 'a-b-c')$s.split('-').size() $s.replace('-', '+')", "3 a+b+c"),
    # $input.params: by name (path, query, header in any case), and the whole map.
    ("$input.params('q') $input.params('x-custom') $input.params('X-CUSTOM')", "search hdr hdr"),
    ("$input.params().querystring $input.params().path", "{q=search} {n=p}"),
    # $util.
    ('#set($s = "it\'s ""q"" \\ /")$util.escapeJavaScript($s)', "it\\'s \\\"q\\\" \\\\ \\/"),
    ("$util.urlEncode('a b&c=d') $util.urlDecode('a+b%26c')", "a+b%26c%3Dd a b&c"),
    ("$util.base64Encode('hi there') $util.base64Decode('aGkgdGhlcmU=')", "aGkgdGhlcmU= hi there"),
    ("#set($o = $util.parseJson('{\"a\": [1, 2], \"b\": {\"c\": true}}'))$o.a $o.b $o.b.c",
     "[1,2] {c=true} true"),
    # $context and $stageVariables.
    ("$context.httpMethod $context.resourcePath $context.stage $context.path",
     "POST /vtl/{n} test /test/vtl/p"),
    ("$stageVariables.greeting ${stageVariables['greeting']} [$stageVariables.nope]",
     "hello hello []"),
]  # fmt: skip


@pytest.fixture(scope="module")
def vtl_api(apigw: Any, upstream: str) -> str:
    """One API whose POST /vtl/{n}?case=i renders CASES[i]: the case is chosen by a
    request template per Content-Type, `application/x-case-<i>`."""
    api_id, root = new_api(apigw, "vtl-cases")
    resource = add_path(apigw, api_id, root, "/vtl/{n}")
    templates = {f"application/x-case-{i}": template for i, (template, _) in enumerate(CASES)}
    add_method(
        apigw,
        api_id,
        resource,
        "POST",
        {
            "type": "HTTP",
            "integrationHttpMethod": "POST",
            "uri": f"{upstream}/echo",
            "requestTemplates": templates,
            "passthroughBehavior": "NEVER",
        },
    )
    add_response(apigw, api_id, resource, "POST", "200", templates=ECHOED_BODY)
    deploy(apigw, api_id, "test", variables={"greeting": "hello"})
    return api_id


@pytest.mark.parametrize(("index", "expected"), [(i, out) for i, (_, out) in enumerate(CASES)])
def test_template_renders_as_on_aws(
    server: Server, vtl_api: str, http: httpx.Client, index: int, expected: str
) -> None:
    response = http.post(
        server.url(vtl_api, "test", "/vtl/p"),
        params={"q": "search"},
        headers={"Content-Type": f"application/x-case-{index}", "X-Custom": "hdr"},
        content=json.dumps(BODY),
    )
    assert response.status_code == 200, response.text
    assert response.text == expected


# --- overrides (spec §4.6) --------------------------------------------------------------------


def _override_api(apigw: Any, upstream: str, request_template: str, response_template: str) -> str:
    api_id, root = new_api(apigw, "vtl-overrides")
    resource = add_path(apigw, api_id, root, "/items/{id}")
    add_method(
        apigw,
        api_id,
        resource,
        "GET",
        {
            "type": "HTTP",
            "integrationHttpMethod": "POST",  # so that the rendered body is sent
            "uri": f"{upstream}/items/{{id}}",
            "requestParameters": {
                "integration.request.path.id": "method.request.path.id",
                "integration.request.querystring.q": "method.request.querystring.q",
                "integration.request.header.X-Mapped": "'mapped'",
            },
            "requestTemplates": {"application/json": request_template},
        },
        requestParameters={
            "method.request.path.id": True,
            "method.request.querystring.q": False,
        },
    )
    add_response(
        apigw,
        api_id,
        resource,
        "GET",
        "200",
        templates={"application/json": response_template},
        parameters={"method.response.header.X-Declared": "'from-mapping'"},
    )
    deploy(apigw, api_id)
    return api_id


def test_request_override_replaces_mapped_parameters(
    server: Server, apigw: Any, upstream: str, http: httpx.Client
) -> None:
    api_id = _override_api(
        apigw,
        upstream,
        '#set($context.requestOverride.path.id = "42")'
        '#set($context.requestOverride.querystring.q = "overridden")'
        '#set($context.requestOverride.querystring.extra = "new")'
        '#set($context.requestOverride.header.x-mapped = "from-template")'
        "#set($context.requestOverride.header.X-New = $input.params('q'))"
        "$context.requestOverride.header.X-New",
        "$input.json('$')",
    )
    response = http.get(server.url(api_id, "test", "/items/7"), params={"q": "original"})
    assert response.status_code == 200, response.text
    echoed = response.json()
    assert (echoed["method"], echoed["path"]) == ("POST", "/items/42")
    assert sorted(echoed["query"].split("&")) == ["extra=new", "q=overridden"]
    headers = {name.lower(): value for name, value in echoed["headers"]}
    assert (headers["x-mapped"], headers["x-new"]) == ("from-template", "original")
    assert echoed["body"] == "original"  # the override reads back what was set


def test_response_override_sets_status_and_headers(
    server: Server, apigw: Any, upstream: str, http: httpx.Client
) -> None:
    api_id = _override_api(
        apigw,
        upstream,
        "{}",
        "#set($context.responseOverride.status = 418)"
        "#set($context.responseOverride.header.X-Declared = 'from-template')"
        "#set($context.responseOverride.header.X-Extra = $input.path('$.path'))"
        "teapot $context.responseOverride.status",
    )
    response = http.get(server.url(api_id, "test", "/items/7"))
    assert response.status_code == 418
    assert response.text == "teapot 418"
    assert response.headers["X-Declared"] == "from-template"  # wins over the mapping
    assert response.headers["X-Extra"] == "/items/7"


@pytest.mark.parametrize("status", ["99", "600", "'404'", "true"])
def test_response_override_status_outside_100_599_or_not_an_integer_is_ignored(
    server: Server, apigw: Any, upstream: str, http: httpx.Client, status: str
) -> None:
    api_id = _override_api(
        apigw, upstream, "{}", f"#set($context.responseOverride.status = {status})kept"
    )
    response = http.get(server.url(api_id, "test", "/items/7"))
    assert (response.status_code, response.text) == (200, "kept")


@pytest.mark.parametrize(
    ("request_template", "response_template"),
    [
        (
            "#set($context.requestOverride.header.X-A = '1')"
            "#set($context.requestOverride.header.X-A = '2')",
            "{}",
        ),
        (  # header names are one parameter in any case
            "#set($context.requestOverride.header.X-A = '1')"
            "#set($context.requestOverride.header.x-a = '2')",
            "{}",
        ),
        (
            "{}",
            "#set($context.responseOverride.status = 400)"
            "#set($context.responseOverride.status = 401)",
        ),
    ],
)
def test_overriding_a_parameter_twice_is_a_500(
    server: Server,
    apigw: Any,
    upstream: str,
    http: httpx.Client,
    request_template: str,
    response_template: str,
) -> None:
    api_id = _override_api(apigw, upstream, request_template, response_template)
    response = http.get(server.url(api_id, "test", "/items/7"))
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
