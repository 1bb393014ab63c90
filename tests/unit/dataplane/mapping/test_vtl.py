"""API Gateway mapping templates (spec §4.4-4.6): compile once, render per request."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

import pytest

from tollway.dataplane.mapping import input as input_module
from tollway.dataplane.mapping.vtl import MappingTemplate, TemplateError, TemplateInput

PETS = (
    '[{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99},'
    ' {"id": 3, "type": "fish", "price": 0.99}]'
)


def data(
    body: str = "",
    *,
    path: Mapping[str, str] | None = None,
    querystring: Mapping[str, str] | None = None,
    header: Mapping[str, str] | None = None,
    context: Mapping[str, Any] | None = None,
    stage_variables: Mapping[str, str] | None = None,
) -> TemplateInput:
    return TemplateInput(
        body=body,
        params={"path": path or {}, "querystring": querystring or {}, "header": header or {}},
        context=context or {},
        stage_variables=stage_variables or {},
    )


def render(template: str, body: str = "", **kwargs: Any) -> str:
    """The template rendered by its compiled function, after checking that airspeed's own
    evaluation of it gives the same text, or fails with the same error."""
    compiled = MappingTemplate.compile(template)
    interpreted = MappingTemplate.compile(template, interpret=True)
    try:
        expected = interpreted.render(data(body, **kwargs))
    except TemplateError as error:
        with pytest.raises(TemplateError) as caught:
            compiled.render(data(body, **kwargs))
        assert (str(caught.value), caught.value.line, caught.value.column) == (
            str(error),
            error.line,
            error.column,
        )
        raise caught.value from None
    assert compiled.render(data(body, **kwargs)) == expected
    return expected


# --- compile: static fast path, size limit, syntax errors -----------------------------------


def test_static_template_renders_its_text_without_the_engine() -> None:
    # airspeed cannot parse a trailing lone backslash; rendering it proves no engine was used.
    text = '{"statusCode": 200, "message": "ok \\'
    template = MappingTemplate.compile(text)
    assert template.is_static
    assert template.render(data("ignored")) == text


def test_template_with_references_is_not_static() -> None:
    assert not MappingTemplate.compile("$input.body").is_static
    assert not MappingTemplate.compile("## just a comment").is_static


def test_template_at_the_size_limit_compiles() -> None:
    text = "x" * (300 * 1024)
    assert MappingTemplate.compile(text).render(data()) == text


def test_template_over_300_kb_is_rejected() -> None:
    with pytest.raises(TemplateError) as caught:
        MappingTemplate.compile("x" * (300 * 1024 + 1))
    assert str(caught.value) == (
        "Mapping template is 307201 bytes; API Gateway allows at most 307200 bytes (300 KB)"
    )


def test_size_limit_counts_utf8_bytes() -> None:
    with pytest.raises(TemplateError, match="307202 bytes"):
        MappingTemplate.compile("é" * (150 * 1024 + 1))


def test_syntax_error_says_what_and_where() -> None:
    with pytest.raises(TemplateError) as caught:
        MappingTemplate.compile('{\n  "a": #foreach($x in $y)\n}')
    error = caught.value
    assert str(error) == (
        "Invalid mapping template: line 3, column 2: expected #end in foreach directive, "
        "got: end of template"
    )
    assert (error.line, error.column) == (3, 2)


def test_unclosed_formal_reference_is_a_syntax_error() -> None:
    with pytest.raises(TemplateError, match=r"line 1, column 6: expected \} in formal reference"):
        MappingTemplate.compile("${foo")


def test_compiled_template_is_reused_across_renders() -> None:
    template = MappingTemplate.compile("$input.json('$.n')")
    assert template.render(data('{"n": 1}')) == "1"
    assert template.render(data('{"n": 2}')) == "2"


# --- $input ----------------------------------------------------------------------------------


def test_input_body_is_the_raw_payload() -> None:
    assert render("[$input.body]", '{ "a" : 1 }') == '[{ "a" : 1 }]'
    assert render("[$input.body]", "not json") == "[not json]"


def test_input_json_returns_compact_json() -> None:
    body = '{"pets": [{"id": 1, "type": "dog"}], "name": "x"}'
    assert render("$input.json('$')", body) == '{"pets":[{"id":1,"type":"dog"}],"name":"x"}'
    assert render("$input.json('$.pets')", body) == '[{"id":1,"type":"dog"}]'
    assert render("$input.json('$.pets[0].type')", body) == '"dog"'
    assert render("$input.json('$.name')", body) == '"x"'


def test_input_json_for_a_missing_path_is_null() -> None:
    assert render("{\"x\": $input.json('$.missing')}", '{"a": 1}') == '{"x": null}'


def test_input_json_with_indefinite_paths_returns_lists() -> None:
    assert render("$input.json('$[*].id')", PETS) == "[1,2,3]"
    assert render("$input.json('$[?(@.price < 200)].type')", PETS) == '["cat","fish"]'
    assert render("$input.json('$..nothing')", PETS) == "[]"


def test_input_json_path_without_dollar_is_relative_to_the_root() -> None:
    assert render("$input.json('pets[0]')", '{"pets": [7]}') == "7"


def test_invalid_jsonpath_fails_with_position() -> None:
    with pytest.raises(TemplateError) as caught:
        render("$input.json('$.a[')", "{}")
    assert str(caught.value).startswith(
        "Mapping template failed at line 1, column 1 in `$input.json('$.a[')`: "
        "invalid JSONPath expression '$.a['"
    )


def test_input_path_returns_objects_usable_in_vtl() -> None:
    template = (
        "$input.path('$').size() $input.path('$')[1].type $input.path('$[2].price') "
        "$input.path('$')[0].id"
    )
    assert render(template, PETS) == "3 cat 0.99 1"


def test_input_path_scalars_print_as_velocity_does() -> None:
    body = '{"a": 1.5, "b": true, "c": null, "d": "x"}'
    template = "$input.path('$.a')|$input.path('$.b')|$input.path('$.c')|$input.path('$.d')"
    assert render(template, body) == "1.5|true||x"


def test_input_path_missing_is_null_and_equals_empty_string() -> None:
    template = (
        "[$input.path('$.missing')]#set($r = $input.path('$.missing'))"
        "#if($r == $null) null#end#if($r == '') empty#end#if($r != '') not-empty#end"
    )
    assert render(template, '{"a": 1}') == "[] null empty"


def test_input_path_map_prints_java_style_and_list_prints_json() -> None:
    assert render("$input.path('$')", '{"foo": "bar"}') == "{foo=bar}"
    assert (
        render("$input.path('$')", '{"bigger": "dict", "to": "test", "with": "separators"}')
        == "{bigger=dict, to=test, with=separators}"
    )
    assert render("$input.path('$')", '[{"foo": "bar"}]') == '[{"foo":"bar"}]'
    assert render("$input.path('$')", '{"foo": [{"nested": "bar"}]}') == '{foo=[{"nested":"bar"}]}'


def test_input_path_map_answers_java_map_methods() -> None:
    template = (
        "#set($m = $input.path('$'))$m.keySet() $m.size() $m.containsKey('b') $m.get('a') "
        "$m.entrySet() #set($old = $m.put('a', 9))$old $m.a"
    )
    assert render(template, '{"a": 1, "b": [2]}') == "[a, b] 2 true 1 [a=1, b=[2]] 1 9"


def test_non_json_body_is_a_json_string_of_its_text() -> None:
    body = "name=Rex&kind=dog"
    assert render("$input.path('$')", body) == body
    assert render("$input.json('$')", body) == '"name=Rex&kind=dog"'
    assert render("[$input.path('$.name')]", body) == "[]"
    # The form-body idiom of the Serverless Framework's default template.
    template = "#foreach($pair in $input.path('$').split('&'))$pair.split('=')[1];#end"
    assert render(template, body) == "Rex;dog;"


def test_empty_body_is_an_empty_object() -> None:
    assert render("$input.json('$') $input.path('$') $input.path('$').size()", "") == "{} {} 0"
    assert render("$input.json('$')", " \n") == "{}"


def test_body_is_parsed_only_when_needed_and_once_per_render(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def counting_parse_body(body: str) -> Any:
        calls.append(body)
        return real_parse_body(body)

    real_parse_body = input_module.parse_body
    monkeypatch.setattr(input_module, "parse_body", counting_parse_body)

    assert render("$input.body $input.params('a') $context.x", '{"a": 1}') == '{"a": 1}  '
    assert calls == []

    template = MappingTemplate.compile("$input.json('$.a') $input.path('$.a') $input.json('$')")
    assert template.render(data('{"a": 1}')) == '1 1 {"a":1}'
    assert template.render(data('{"a": 2}')) == '2 2 {"a":2}'
    assert calls == ['{"a": 1}', '{"a": 2}']


def test_input_params_lists_every_location() -> None:
    rendered = render(
        "$input.params()",
        path={"petId": "7"},
        querystring={"q": "s"},
        header={"Accept": "*/*"},
    )
    assert rendered == "{path={petId=7}, querystring={q=s}, header={Accept=*/*}}"
    assert render("$input.params()") == "{path={}, querystring={}, header={}}"


def test_input_params_by_name_searches_path_then_querystring_then_header() -> None:
    params = {
        "path": {"id": "from-path"},
        "querystring": {"id": "from-query", "q": "from-query"},
        "header": {"id": "from-header", "q": "from-header", "X-Api": "from-header"},
    }
    template = "$input.params('id')|$input.params('q')|$input.params('X-Api')|$input.params('no')|"
    assert render(template, **params) == "from-path|from-query|from-header||"


def test_input_params_matches_header_names_case_insensitively() -> None:
    assert render("$input.params('content-type')", header={"Content-Type": "a/b"}) == "a/b"


def test_input_params_header_map_supports_the_keyset_loop() -> None:
    template = (
        "#foreach($h in $input.params().header.keySet())"
        "$h=$input.params().header.get($h)#if($foreach.hasNext),#end#end"
    )
    assert render(template, header={"A": "1", "B": "2"}) == "A=1,B=2"


# --- $util -----------------------------------------------------------------------------------


def test_util_escape_javascript_follows_commons_lang() -> None:
    body = 'it\'s "q" a/b \\ é 😀\n\t\x01'
    assert render("$util.escapeJavaScript($input.body)", body) == (
        'it\\\'s \\"q\\" a\\/b \\\\ \\u00E9 \\uD83D\\uDE00\\n\\t\\u0001'
    )


def test_util_escape_javascript_with_the_documented_replace_all_fix() -> None:
    template = '$util.escapeJavaScript($input.body).replaceAll("\\\\\'","\'")'
    assert render(template, "it's") == "it's"


def test_util_parse_json() -> None:
    body = '{"s": "{\\"a\\": [1, {\\"b\\": 2}]}"}'
    template = "#set($o = $util.parseJson($input.path('$.s')))$o $o.a[1].b $o.a.size()"
    assert render(template, body) == '{a=[1,{"b":2}]} 2 2'
    assert render("$util.parseJson('[1, \"x\", true, null]')") == '[1,"x",true,null]'


def test_util_parse_json_of_invalid_json_fails_with_position() -> None:
    with pytest.raises(TemplateError) as caught:
        render("{\n  $util.parseJson('nope')}")
    assert str(caught.value).startswith(
        "Mapping template failed at line 2, column 3 in `$util.parseJson('nope')`: "
        "$util.parseJson: invalid JSON"
    )
    assert (caught.value.line, caught.value.column) == (2, 3)


def test_util_url_encode_is_form_encoding() -> None:
    assert render("$util.urlEncode('a b&c=d/é~*')") == "a+b%26c%3Dd%2F%C3%A9%7E*"


def test_util_url_decode() -> None:
    assert render("$util.urlDecode('a+b%26c%3Dd%2F%C3%A9%7E*')") == "a b&c=d/é~*"


def test_util_base64() -> None:
    assert render("$util.base64Encode('hello é')") == "aGVsbG8gw6k="
    assert render("$util.base64Decode('aGVsbG8gw6k=')") == "hello é"
    assert render("$util.base64Decode('aGVsbG8gw6k')") == "hello é"  # padding optional


def test_util_base64_decode_of_invalid_input_fails() -> None:
    with pytest.raises(TemplateError, match=r"line 1, column 1 .*invalid base64 input"):
        render("$util.base64Decode('%%%')")


def test_util_functions_of_null_render_empty() -> None:
    template = (
        "[$util.escapeJavaScript($nope)][$util.urlEncode($nope)][$util.urlDecode($nope)]"
        "[$util.base64Encode($nope)][$util.base64Decode($nope)][$util.parseJson($nope)]"
    )
    assert render(template) == "[][][][][][]"


# --- $context and $stageVariables ------------------------------------------------------------


def test_context_variables_are_nested() -> None:
    context = {"requestId": "r-1", "identity": {"sourceIp": "10.0.0.1"}}
    template = "$context.requestId $context.identity.sourceIp [$context.nope] [$context.a.b]"
    assert render(template, context=context) == "r-1 10.0.0.1 [] []"


def test_context_is_the_callers_mapping_so_overrides_can_be_written() -> None:
    context: dict[str, Any] = {"responseOverride": {"header": {}}}
    template = (
        "#set($context.responseOverride.status = 404)"
        "#set($context.responseOverride.header.X-Reason = 'gone')"
    )
    assert render(template, context=context) == ""
    assert context == {"responseOverride": {"header": {"X-Reason": "gone"}, "status": 404}}


def test_stage_variables_in_every_form() -> None:
    template = (
        "$stageVariables.env|$stageVariables['env']|${stageVariables.env}|"
        "${stageVariables['env']}|$stageVariables.nope|$stageVariables.keySet()"
    )
    assert render(template, stage_variables={"env": "dev"}) == "dev|dev|dev|dev||[env]"


# --- Velocity as API Gateway runs it ---------------------------------------------------------


def test_undefined_references_render_as_empty_text() -> None:
    assert render("[$foo][${foo}][$foo.bar][$foo.bar()][$!foo][$input.nope]") == "[][][][][][]"


def test_dollar_and_hash_that_are_not_vtl_stay_text() -> None:
    assert render("cost: $ 5, #1 item, $input.body", "x") == "cost: $ 5, #1 item, x"


def test_literals_print_as_java_does() -> None:
    template = (
        "#set($m = {})#set($k = 'bar')#set($m[$k] = 'foo')$m "
        "#set($l = ['one', 'two', 'three'])#set($l[1] = 'foo')$l [1..3]=#set($r = [1..3])$r"
    )
    assert render(template) == "{bar=foo} [one, foo, three] [1..3]=[1, 2, 3]"


def test_list_methods_follow_java() -> None:
    template = (
        "#set($l = [1, 2])$l.add(3) $l.size() $l.isEmpty() $l.indexOf(9) $l.get(2) "
        "$l.contains(2) $l.set(0, 'x') $l"
    )
    assert render(template) == "true 3 false -1 3 true 1 [x, 2, 3]"


def test_string_methods_follow_java() -> None:
    template = (
        "#set($s = '  Ab ')[$s.trim()] $s.toLowerCase().trim() $s.trim().equals('Ab') "
        "$s.indexOf('z') $s.trim().replaceAll('(A)(b)', '$2$1') "
        "#set($csv = 'a,b,,c,,')$csv.split(',') $csv.split(',').size() "
        "#set($t = 'A-B')$t.equalsIgnoreCase('a-b') $t.charAt(1) $t.endsWith('B') "
        "$t.replaceFirst('[A-Z]', 'x') $t.isEmpty()"
    )
    assert render(template) == "[Ab] ab true -1 bA [a, b, , c] 4 true - true x-B false"


def test_foreach_exposes_velocity_loop_variables() -> None:
    template = (
        "#foreach($x in ['a', 'b', 'c'])"
        "$foreach.index/$foreach.count/$velocityCount/$foreach.first/$foreach.last "
        "#end"
    )
    assert render(template) == "0/1/1/true/false 1/2/2/false/false 2/3/3/false/true "


def test_foreach_over_a_map_iterates_its_values_as_velocity_does() -> None:
    assert render("#foreach($v in $input.path('$'))$v;#end", '{"a": 1, "b": 2}') == "1;2;"


def test_foreach_runs_up_to_1000_iterations() -> None:
    template = "#set($n = 0)#foreach($i in [1..1000])#set($n = $n + 1)#end$n"
    assert render(template) == "1000"


def test_foreach_beyond_1000_iterations_fails() -> None:
    with pytest.raises(TemplateError) as caught:
        render("ok\n  #foreach($pet in $input.path('$'))$pet#end", json.dumps(list(range(1001))))
    assert str(caught.value) == (
        "Mapping template failed at line 2, column 3 in `#foreach($pet in $input.path('$'))"
        "$pet#end`: #foreach would run more than 1000 iterations, API Gateway's limit"
    )


def test_stop_ends_the_output() -> None:
    assert render("hello #stop world") == "hello "


def test_macros_evaluate_and_return_are_unavailable_as_on_aws() -> None:
    template = "#macro(hi)hello#end#hi() #evaluate('$input.body') #return(1)"
    assert render(template, "x") == "#hi() #evaluate('$input.body') #return(1)"


def test_parse_and_include_cannot_load_files() -> None:
    with pytest.raises(TemplateError, match="mapping templates cannot load files"):
        render("#parse('other.vtl')")


def test_runtime_error_inside_a_string_literal() -> None:
    with pytest.raises(TemplateError, match=r"failed in string literal `\$util\.parseJson"):
        render("#set($x = \"$util.parseJson('nope')\")")


# --- realistic templates ---------------------------------------------------------------------

PETSTORE_TEMPLATE = """#set($inputRoot = $input.path('$'))
[
#foreach($elem in $inputRoot)
  {
    "number": $elem.id,
    "class": "$elem.type",
    "salesPrice": $elem.price
  }#if($foreach.hasNext),#end

#end
]"""


def test_petstore_response_transformation() -> None:
    rendered = render(PETSTORE_TEMPLATE, PETS)
    assert rendered == (
        "[\n"
        '\n  {\n    "number": 1,\n    "class": "dog",\n    "salesPrice": 249.99\n  },\n'
        '\n  {\n    "number": 2,\n    "class": "cat",\n    "salesPrice": 124.99\n  },\n'
        '\n  {\n    "number": 3,\n    "class": "fish",\n    "salesPrice": 0.99\n  }\n'
        "]"
    )
    assert json.loads(rendered) == [
        {"number": 1, "class": "dog", "salesPrice": 249.99},
        {"number": 2, "class": "cat", "salesPrice": 124.99},
        {"number": 3, "class": "fish", "salesPrice": 0.99},
    ]


# The console's "Method Request passthrough" template, trimmed.
PASSTHROUGH_TEMPLATE = """#set($allParams = $input.params())
{
"body-json" : $input.json('$'),
"params" : {
#foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
"$type" : {
    #foreach($paramName in $params.keySet())
    "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
        #if($foreach.hasNext),#end
    #end
}
    #if($foreach.hasNext),#end
#end
},
"stage-variables" : {
#foreach($key in $stageVariables.keySet())
"$key" : "$util.escapeJavaScript($stageVariables.get($key))"
    #if($foreach.hasNext),#end
#end
},
"context" : {
    "account-id" : "$context.identity.accountId",
    "http-method" : "$context.httpMethod",
    "source-ip" : "$context.identity.sourceIp",
    "request-id" : "$context.requestId"
    }
}
"""


def test_method_request_passthrough_template() -> None:
    rendered = render(
        PASSTHROUGH_TEMPLATE,
        '{"name": "Rex"}',
        path={"petId": "42"},
        querystring={"q": "a b"},
        header={"Accept": "*/*"},
        context={"httpMethod": "POST", "requestId": "r-1", "identity": {"sourceIp": "10.0.0.1"}},
        stage_variables={"env": "dev"},
    )
    assert json.loads(rendered) == {
        "body-json": {"name": "Rex"},
        "params": {
            "path": {"petId": "42"},
            "querystring": {"q": "a b"},
            "header": {"Accept": "*/*"},
        },
        "stage-variables": {"env": "dev"},
        "context": {
            "account-id": "",
            "http-method": "POST",
            "source-ip": "10.0.0.1",
            "request-id": "r-1",
        },
    }
    assert '"Accept" : "*\\/*"' in rendered  # escapeJavaScript escapes the slash


# --- the compiled form against airspeed's evaluation ----------------------------------------

# Each template is rendered both ways by `render`, which fails on any difference in output or
# error; the cases reach every element and evaluation rule the compiler reproduces.
EQUIVALENCE_CASES = [
    "#set($a = 1 + 2 * 3 - 4 / 2 % 3)$a",
    "#set($a = (1 + 2) * 3)$a #set($b = !$a)$b #set($c = !$undefined)$c",
    "#if($x && $y || !$z)yes#{else}no#end",
    "#if(1 < 2 and 2 >= 2 and 3 != 4 and 'a' == 'a' or false)t#end",
    "#if($undefined)undefined is true#end#if(!$undefined)never#end",
    "#if($n == 1)one#elseif($n == 2)two#elseif($n == 3)three#{else}many#end",
    "#set($l = [])#if($l.add(1) && $l.add(2))#end$l $l.size()",
    "#set($l = [])#set($r = $l.add('a') || $l.add('b') && $l.add('c'))$l $r",
    "#set($m = {'a': 1, 'b': [1, 2], 'c': {'d': 'e'}})$m $m.a $m.b[1] $m.c.d $m['a'] $m.keySet()",
    "#set($m = {})#set($m.x = 1)#set($m['y'] = 2)#set($k = 'z')#set($m[$k] = 3)$m",
    "#set($m = {'a': {'b': {}}})#set($m.a.b.c = 'deep')$m",
    "#set($r = [1..3])$r #set($d = [3..1])$d #set($e = [$n..2])$e",
    "${missing}|$!missing|${missing|'alt'}|${n|'alt'}|$!{n}",
    "$n.toString() $s.length() $s.toUpperCase() $s.substring(1) $s.replaceAll('l+', 'L')",
    "$s.split('l') $s.split('l').size() $s.charAt(0) $s.contains('el') $s.matches('h.*')",
    "$list[0] $list[5] $list.get(1) $list.size() $list.isEmpty() $list.contains(2)",
    "#foreach($i in $list)$i:$velocityCount:$foreach.index:$foreach.hasNext:$foreach.last #end",
    "#foreach($v in $map)$v,#end #foreach($k in $map.keySet())$k=$map.get($k);#end",
    "#set($t = 0)#foreach($i in [1..4])#set($t = $t + $i)#set($inner = $i)#end$t [$inner]",
    "#foreach($i in [1, 2])#foreach($j in ['a', 'b'])$i$j$velocityCount #end#end",
    "#foreach($x in $s)never#end#foreach($x in $n)never#end#foreach($x in $undefined)no#end",
    "#set($x = \"a $s b ${n}c\")$x #set($y = 'single $s')$y",
    '#set($x = "#if($n == 1)one#{else}other#end")$x',
    "before #if(true)#stop#end after",
    "#foreach($i in [1..5])$i#if($i == 3)#stop#end#end",
    '#set($x = "a#stop b")never',
    "## a comment\n#* block\ncomment *#text $n",
    "#set( $a = 'x' )\n$a\n  #set($b = 'y')\n$b",
    "$input.params('q') $input.params().querystring $input.params().header.size()",
    "$input.json('$.items[0]') $input.path('$.items').size() $input.path('$.obj')",
    "#set($o = $input.path('$.obj'))$o.k $o.get('k') $o.size() $o['k']",
    "$util.escapeJavaScript(\"it's\") $util.urlEncode('a b') $util.base64Encode($s)",
    "$context.requestId $context.identity.sourceIp $context.missing.deeper",
    "#set($context.requestOverride.header.x = 'v')$context.requestOverride",
    "$stageVariables.v $stageVariables['v'] $stageVariables.missing",
    "#set($l = [1, 2])$l.get(5)",
    "#set($x = $s.substring(10))",
    "#set($x = $undefined.deeper)$x|#set($y = $undefined.call(1))$y|",
    "$n.__class__",
    "$list[0][1]",
    "#set($m = {'a': [1, [2, 3]]})$m.a[1][0] $m.get('a')[0]",
    "#set($x = 5 / 0)",
    "#set($x = 'a' - 1)",
    "#set($undefined.x = 1)",
    "#foreach($i in [1..1001])#end",
    "#set($x = \"$util.parseJson('{')\")",
    '#set($s2 = "$s")#set($n2 = "$n")$s2 $n2 #set($e = "")[$e]',
    "$n $n.class $s.empty",
    "#set($b = true)#set($f = false)$b $f #if($b)B#end#if(!$f)F#end",
    "#set($x = 1.5)$x #set($y = -2)$y #set($z = null)[$z]",
    "#set($a = 1)#set($a = $a == 1)$a",
    "#macro(m $x)[$x]#end#m(1) #evaluate('x') #return(2)",
    "#set($x=$input.path('$.items'))#foreach($i in $x)#set($last=$i)#end$last",
]


EQUIVALENCE_PRELUDE = (
    "#set($n = 1)#set($s = 'hello')#set($list = [1, 2, 3])#set($map = {'a': 1, 'b': 2})"
)


@pytest.mark.parametrize("template", EQUIVALENCE_CASES)
def test_compiled_template_renders_as_airspeed_does(template: str) -> None:
    template = EQUIVALENCE_PRELUDE + template
    assert MappingTemplate.compile(template).is_compiled
    context = {
        "requestId": "r-1",
        "identity": {"sourceIp": "1.2.3.4"},
        "requestOverride": {"header": {}},
    }
    # An error is fine: `render` has checked that both ways fail with the same error.
    with contextlib.suppress(TemplateError):
        render(
            template,
            '{"items": [1, 2, {"a": "b"}], "obj": {"k": "v", "n": null}}',
            querystring={"q": "query"},
            header={"Accept": "*/*"},
            context=context,
            stage_variables={"v": "stage"},
        )


def test_templates_the_compiler_leaves_to_airspeed_render_the_same() -> None:
    template = MappingTemplate.compile("#define($d)x#end$d")
    assert not template.is_compiled and not template.is_static
    assert render("#define($d)x#end[$d]") == "[x]"
