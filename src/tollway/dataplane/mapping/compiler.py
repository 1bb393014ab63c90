"""Mapping templates compiled to Python: the adjusted airspeed tree (`engine.parse`) turned,
once per deployment, into the source of a Python function that renders the template.

Why: airspeed evaluates a template by walking its tree, with a Python call, a try block and
often a closure per node and per operator; a short request template cost about 10 µs a
render, a third of a mapped REST request. The function built here does the same work in
straight-line code (one line per template statement, inline expressions), several times
faster, and the tree is walked only once.

What it must not change is the output. The function reproduces airspeed's evaluation as
`engine` adjusts it, node by node — the namespace chain `#set` writes through
(`LocalNamespace.set_inherited`, here `Scope`/`_assign`), the lookup order of `$a.b`
(item, then attribute, then airspeed's added methods), Java string methods, lazy call
arguments, expression precedence and the order operands are evaluated in (airspeed
evaluates the right operand first and never short-circuits), `#if`'s truth (an undefined
reference is true), `#foreach`'s limit and loop variables, Java-style printing of literals.
The unit tests of `vtl` render every case both ways and compare.

A template that holds an element the compiler does not know (`#define`, `#include`,
`#parse`, a malformed reference) or whose code Python cannot compile is left to airspeed:
`compile_template` returns None and `MappingTemplate` interprets it, with the same output.

Runtime errors keep their place in the template: every generated line belongs to one
template element (the one whose `evaluate` would have caught the error in airspeed), and
`element_of` finds the innermost generated line in an exception's traceback.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

from airspeed.operators import (
    REPLACE_FORMAL_TEXT,
    ArrayIndex,
    Assignment,
    BooleanLiteral,
    BracketedValueTerm,
    Comment,
    DotDictAccessTerm,
    ElseBlock,
    FallthroughHashText,
    FloatingPointLiteral,
    FormalReference,
    IfDirective,
    IntegerLiteral,
    InterpolatedStringLiteral,
    NameOrCall,
    NullLiteral,
    ParenthesizedExpression,
    Range,
    SetDirective,
    StringLiteral,
    SubExpression,
    Text,
    UnaryOperatorValue,
    Value,
    ValueList,
    VariableExpression,
    __additional_methods__,
    value_to_string,
)
from airspeed.operators import (
    Expression as ExpressionElement,
)

from tollway.dataplane.mapping import engine
from tollway.dataplane.mapping.values import STRING_METHODS, VtlList, VtlMap

Render = Callable[["Scope", Callable[[str], Any]], None]


class _NotCompiled(Exception):
    """The tree holds something the compiler leaves to airspeed."""


# --- the runtime the generated code calls --------------------------------------------------


class Scope(dict[str, Any]):
    """A namespace of the chain `#set` and `#foreach` use (airspeed's `LocalNamespace`): reads
    fall through to the parent; the outermost parent is the template's `Variables`."""

    __slots__ = ("parent",)

    def __init__(self, parent: Mapping[str, Any]) -> None:
        super().__init__()
        self.parent = parent

    def __missing__(self, key: str) -> Any:
        return self.parent[key]


def _var(scope: Scope, name: str) -> Any:
    """`$name`: the variable, or None when it is undefined."""
    try:
        return scope[name]
    except KeyError:
        return None


def _assign(scope: Scope, name: str, value: Any) -> None:
    """`#set($name = value)`: into the innermost scope that has the name, else this one."""
    current: Any = scope
    while current.__class__ is Scope:
        if name in current:
            current[name] = value
            return
        current = current.parent
    scope[name] = value


# Classes whose `obj[name]` with a string name always fails, so the lookup can skip it.
_NEVER_SUBSCRIPTED: Final = frozenset({str, list, VtlList, type(None), int, float, bool})


def _member(obj: Any, name: str) -> Any:
    """`obj.name` as airspeed's `NameOrCall` finds it: an item, else an attribute, else one
    of airspeed's added methods; None when there is none."""
    cls = obj.__class__
    result = None
    if cls not in _NEVER_SUBSCRIPTED:
        try:  # noqa: SIM105 - contextlib.suppress would cost a context manager per lookup
            result = obj[name]
        except (KeyError, TypeError, AttributeError):
            pass
    if result is None:
        result = getattr(obj, name, None)
        if result is None:
            methods = __additional_methods__.get(cls)
            if methods and name in methods:
                method = methods[name]
                return lambda *args: method(obj, *args)
    return result


def _indexed(found: Any, index: Any) -> Any:
    """`$a.b[index]`: None when the item is missing (`NameOrCall` with an index)."""
    if isinstance(found, list) and not isinstance(index, int):
        raise ValueError(f"expected integer for array index, got '{index}'")
    try:
        return found[index]
    except Exception:
        return None


def _shown(value: Any, text: str) -> str:
    """What a reference prints for a value that is not None."""
    if value == REPLACE_FORMAL_TEXT:
        return text
    return value if isinstance(value, str) else value_to_string(value)


def _printed(value: Any) -> str:
    return value if isinstance(value, str) else value_to_string(value)


def _range(first: int, last: int) -> range:
    return range(first, last - 1, -1) if last < first else range(first, last + 1)


def _loop_scope(parent: Scope, index: int, last: int, name: str, item: Any) -> Scope:
    scope = Scope(parent)
    engine.set_loop_variables(scope, index, last, name, item)
    return scope


def _join(function: Callable[[Scope, Callable[[str], Any]], None], scope: Scope) -> str:
    pieces: list[str] = []
    function(scope, pieces.append)
    return "".join(pieces)


def _stop() -> None:
    raise engine.Stopped()


_RUNTIME: Final[dict[str, Any]] = {
    "_var": _var,
    "_assign": _assign,
    "_member": _member,
    "_indexed": _indexed,
    "_shown": _shown,
    "_printed": _printed,
    "_range": _range,
    "_foreach_items": engine.foreach_items,
    "_loop_scope": _loop_scope,
    "_stop": _stop,
    "_join": _join,
    "Scope": Scope,
    "VtlList": VtlList,
    "VtlMap": VtlMap,
}


# --- code generation -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    render: Render
    filename: str
    elements: tuple[Any, ...]  # the template element of each generated line (1-based; 0 unused)

    def element_of(self, traceback: TracebackType | None) -> Any:
        """The element of the innermost generated line in `traceback`, or None."""
        element = None
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename == self.filename:
                lineno = traceback.tb_lineno
                if 0 < lineno < len(self.elements):
                    element = self.elements[lineno]
            traceback = traceback.tb_next
        return element


_counter = itertools.count()


def compile_template(root: Any) -> CompiledTemplate | None:
    """The compiled form of an adjusted airspeed tree, or None to leave it to airspeed."""
    generator = _Generator()
    try:
        generator.function("_render", root.block.children, root)
        source = "\n".join(line for line, _ in generator.lines) + "\n"
        filename = f"<mapping template {next(_counter)}>"
        code = compile(source, filename, "exec")
    except (_NotCompiled, SyntaxError, RecursionError, MemoryError, ValueError):
        return None
    namespace = dict(_RUNTIME)
    namespace.update(generator.constants)
    exec(code, namespace)  # our own generated source, built above
    elements = (None, *(element for _, element in generator.lines))
    return CompiledTemplate(namespace["_render"], filename, elements)


class _Generator:
    def __init__(self) -> None:
        self.lines: list[tuple[str, Any]] = []
        self.constants: dict[str, Any] = {}
        self._constant_names: dict[tuple[type, Any], str] = {}
        self._names = itertools.count()
        self._functions: list[list[tuple[str, Any]]] = []

    # Functions are written one after another; a string literal's function is written
    # before the function that calls it, so `lines` is the concatenation in that order.
    def function(self, name: str, children: list[Any], element: Any) -> None:
        body: list[tuple[str, Any]] = []
        self._functions.append(body)
        body.append((f"def {name}(ns, w):", element))
        self._block(children, 1, element)
        if len(body) == 1:
            body.append(("    pass", element))
        self._functions.pop()
        self.lines.extend(body)

    def _emit(self, depth: int, code: str, element: Any) -> None:
        self._functions[-1].append(("    " * depth + code, element))

    def constant(self, value: Any) -> str:
        key = (type(value), value)
        name = self._constant_names.get(key)
        if name is None:
            name = self._constant_names[key] = f"_k{len(self._constant_names)}"
            self.constants[name] = value
        return name

    def temp(self) -> str:
        return f"_t{next(self._names)}"

    # -- statements ---------------------------------------------------------------------------

    def _block(self, children: list[Any], depth: int, parent: Any) -> None:
        start = len(self._functions[-1])
        for child in children:
            self._statement(child, depth)
        if len(self._functions[-1]) == start:
            self._emit(depth, "pass", parent)

    def _statement(self, node: Any, depth: int) -> None:
        kind = type(node)
        if kind in (Text, FallthroughHashText):
            self._emit(depth, f"w({self.constant(node.text)})", node)
        elif kind is Comment or kind is engine._UnavailableMacroDefinition:
            pass
        elif kind in (engine._VerbatimMacroCall, engine._VerbatimEvaluate, engine._VerbatimReturn):
            self._emit(depth, f"w({self.constant(node.my_text())})", node)
        elif kind is FormalReference:
            self._reference(node, depth)
        elif kind is IfDirective:
            self._if(node, depth)
        elif kind is SetDirective:
            self._set(node.assignment, depth)
        elif kind is engine._BoundedForeach:
            self._foreach(node, depth)
        elif kind is engine._Stop:
            self._emit(depth, "_stop()", node)
        else:
            raise _NotCompiled(kind.__name__)

    def _reference(self, node: Any, depth: int) -> None:
        if node.expression is None:
            raise _NotCompiled("reference without a name")
        value = self._variable(node.expression)
        text = self.constant(node.my_text())
        if node.alternate is None:
            code = f"w('' if (_v := {value}) is None else _shown(_v, {text}))"
        else:
            alternate = self.expression(node.alternate.expression)
            code = (
                f"w(_printed({alternate} or '') if (_v := {value}) is None else _shown(_v, {text}))"
            )
        self._emit(depth, code, node)

    def _if(self, node: Any, depth: int) -> None:
        condition = self._condition(node.condition)
        self._emit(depth, f"if (_c := {condition}) is None or _c:", node)
        self._block(node.block.children, depth + 1, node)
        for elseif in node.elseifs:
            condition = self._condition(elseif.condition)
            self._emit(depth, f"elif (_c := {condition}) is None or _c:", node)
            self._block(elseif.block.children, depth + 1, node)
        if type(node.else_block) is ElseBlock:
            else_block = node.else_block
            self._emit(depth, "else:", node)
            self._block(else_block.block.children, depth + 1, node)

    def _condition(self, condition: Any) -> str:
        return self.expression(condition.expression)

    def _set(self, node: Any, depth: int) -> None:
        if type(node) is not Assignment:
            raise _NotCompiled(type(node).__name__)
        value = self.expression(node.value)
        if not node.terms:
            self._emit(depth, f"_assign(ns, {self.constant(node.root_term)}, {value})", node)
            return
        self._emit(depth, f"_s = {value}", node)
        self._emit(depth, f"_o = ns[{self.constant(node.root_term)}]", node)
        for term in node.terms[:-1]:
            self._emit(depth, f"_o = _o[{self._term(term)}]", node)
        self._emit(depth, f"_o[{self._term(node.terms[-1])}] = _s", node)

    def _term(self, term: Any) -> str:
        inner = term.term
        if type(inner) is DotDictAccessTerm:
            return self.constant(inner.value)
        if type(inner) is BracketedValueTerm:
            return self.expression(inner.value)
        raise _NotCompiled(type(inner).__name__)

    def _foreach(self, node: Any, depth: int) -> None:
        n = next(self._names)
        items, outer, last, index, item = (f"_{x}{n}" for x in ("items", "outer", "last", "i", "x"))
        name = self.constant(node.loop_var_name)
        self._emit(depth, f"{items} = _foreach_items({self.expression(node.value)})", node)
        self._emit(depth, f"{outer} = ns", node)
        self._emit(depth, f"{last} = len({items}) - 1", node)
        self._emit(depth, f"for {index}, {item} in enumerate({items}):", node)
        self._emit(depth + 1, f"ns = _loop_scope({outer}, {index}, {last}, {name}, {item})", node)
        self._block(node.block.children, depth + 1, node)
        self._emit(depth, f"ns = {outer}", node)

    # -- expressions --------------------------------------------------------------------------

    def expression(self, node: Any) -> str:
        kind = type(node)
        if kind is Value:
            return self.expression(node.expression)
        if kind is ExpressionElement:
            return self._operators(node)
        if kind is ParenthesizedExpression:
            return self.expression(node.calculate.__self__)
        if kind is FormalReference:
            if node.expression is None:
                raise _NotCompiled("reference without a name")
            return self._variable(node.expression)
        if kind is NullLiteral:
            return "None"
        if kind in (IntegerLiteral, FloatingPointLiteral, BooleanLiteral, StringLiteral):
            return self.constant(node.value)
        if kind is InterpolatedStringLiteral:
            return self._interpolated(node)
        if kind is engine._ListLiteral:
            values = node.values
            if type(values) is Range:
                return f"VtlList({self._range(values)})"
            if type(values) is ValueList:
                return f"VtlList(({''.join(self.expression(v) + ', ' for v in values.values)}))"
            return "VtlList()"
        if kind is engine._MapLiteral:
            pairs = "".join(
                f"({self.expression(key)}, {self.expression(value)}), "
                for key, value in node.local_data.items()
            )
            return f"VtlMap(({pairs}))"
        if kind is UnaryOperatorValue:
            if node.op is not operator.__not__:
                raise _NotCompiled("unary operator")
            temp = self.temp()
            return f"(False if ({temp} := {self.expression(node.value)}) is None else not {temp})"
        raise _NotCompiled(kind.__name__)

    def _range(self, node: Any) -> str:
        return f"_range({self.expression(node.value1)}, {self.expression(node.value2)})"

    def _interpolated(self, node: Any) -> str:
        children = node.block.children
        if all(type(child) in (Text, FallthroughHashText) for child in children):
            return self.constant("".join(child.text for child in children))
        name = f"_string{next(self._names)}"
        self.function(name, children, node.block)
        # Built the way airspeed builds it: the pieces joined into one string.
        return f"_join({name}, ns)"

    def _operators(self, node: Any) -> str:
        """An operator chain, in the order airspeed's `Expression.calculate` evaluates it: its
        precedence stack, replayed here to write each step as a numbered temporary."""
        terms = node.expression
        if len(terms) == 1:
            return self.expression(terms[0])
        steps: list[str] = []

        def operand(value: Any) -> str:
            if isinstance(value, str):  # an earlier step's temporary
                return value
            temp = self.temp()
            steps.append(f"({temp} := {self.expression(value)})")
            return temp

        def apply(operators: list[Any], values: list[Any]) -> None:
            right = operand(values.pop())
            left = operand(values.pop())
            temp = self.temp()
            function = self.constant(operators.pop().apply_to)
            steps.append(f"({temp} := {function}({left}, {right}))")
            values.append(temp)

        operators: list[Any] = []
        values: list[Any] = [terms[0]]
        rest = terms[1:]
        while rest:
            if not operators or rest[0].greater_precedence_than(operators[-1]):
                operators.append(rest[0])
                values.append(rest[1])
                rest = rest[2:]
            else:
                apply(operators, values)
        while operators:
            apply(operators, values)
        return f"({', '.join(steps)})[-1]"

    def _variable(self, node: Any) -> str:
        """`$a.b(c)[d]...`: a `VariableExpression`, its first name read from the namespace."""
        if type(node) is not VariableExpression:
            raise _NotCompiled(type(node).__name__)
        part = node.part
        code = f"_var(ns, {self.constant(part.name)})"
        code = self._call_or_index(code, part)
        return self._rest(code, node.subexpression)

    def _rest(self, code: str, sub: Any) -> str:
        while sub is not None:
            if type(sub) is not SubExpression:
                raise _NotCompiled(type(sub).__name__)
            inner = sub.expression
            if type(inner) is ArrayIndex:
                code = f"({code})[{self.expression(inner.index)}]"
                sub = sub.subexpression
            elif type(inner) is VariableExpression:
                code = self._name(code, inner.part)
                sub = inner.subexpression
            else:
                raise _NotCompiled(type(inner).__name__)
        return code

    def _name(self, target: str, part: Any) -> str:
        """`.name`, `.name(args)` or `.name[index]` on the value `target` computes."""
        if type(part) not in (NameOrCall, engine._JavaStringCall):
            raise _NotCompiled(type(part).__name__)
        name = self.constant(part.name)
        if type(part) is engine._JavaStringCall and part.parameters is not None:
            obj = self.temp()
            method = self.constant(STRING_METHODS[part.name])
            args = self._arguments(part.parameters)
            found = self._call_or_index(f"_member({obj}, {name})", part)
            return f"({method}({obj}, {args}) if isinstance({obj} := {target}, str) else {found})"
        return self._call_or_index(f"_member({target}, {name})", part)

    def _call_or_index(self, found: str, part: Any) -> str:
        """A found member, then called or indexed; the arguments or index are evaluated only
        when the member exists, as airspeed does."""
        if part.parameters is not None:
            temp = self.temp()
            args = self._arguments(part.parameters)
            return f"(None if ({temp} := {found}) is None else {temp}({args}))"
        if part.index is not None:
            temp = self.temp()
            index = self.expression(part.index.index)
            return f"(None if ({temp} := {found}) is None else _indexed({temp}, {index}))"
        return found

    def _arguments(self, parameters: Any) -> str:
        values = parameters.values
        if type(values) is not ValueList:
            return ""
        return ", ".join(self.expression(value) for value in values.values)
