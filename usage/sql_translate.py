"""Translating a checked SQL metric (usage.sql) to the database in use: `events` becomes our
scoped CTE, property reads become the dialect's JSON extraction (numbers where a number is
expected), and the run-time rules that make both databases bill alike (division by zero is
NULL, integer casts are 64-bit) are written into the statement."""

from typing import Any

from django.db import connection
from sqlglot import exp

from usage.sql import (
    COMPARISONS,
    DIALECTS,
    EVENTS,
    INT64,
    INTEGER_TYPES,
    NUMERIC_PARENTS,
    NUMERIC_TYPES,
    PASS_THROUGH,
    SCOPE,
    ApplicationError,
    property_key,
    sql_parse,
)

# -- translation ------------------------------------------------------------------------------


def _numeric_context(node: exp.Expression) -> bool:
    parent = node.parent
    while isinstance(parent, exp.Paren):
        node, parent = parent, parent.parent
    if isinstance(parent, exp.Cast):
        return parent.to.is_type(*NUMERIC_TYPES)
    if isinstance(parent, NUMERIC_PARENTS):
        return True
    if isinstance(parent, COMPARISONS):
        return any(
            isinstance(other, exp.Literal) and not other.is_string
            for other in parent.iter_expressions()
            if other is not node
        )
    if isinstance(parent, exp.If) and node is parent.this:
        return False  # a CASE condition
    if isinstance(parent, PASS_THROUGH):
        numbers = any(
            isinstance(o, exp.Literal) and not o.is_string for o in parent.iter_expressions()
        )
        return numbers or _numeric_context(parent)
    return False


def _fn(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _read_property(column: exp.Column, key: str, numeric: bool, dialect: str) -> exp.Expression:
    """The dialect's JSON extraction of one top-level property (Django stores JSONField as jsonb
    on PostgreSQL and as JSON text on SQLite)."""
    lit = exp.Literal.string
    if dialect == "postgres":
        text = _fn("jsonb_extract_path_text", column.copy(), lit(key))
        if not numeric:
            return text
        kind = _fn("jsonb_typeof", _fn("jsonb_extract_path", column.copy(), lit(key)))
        number = exp.Cast(this=text, to=exp.DataType.build("DECIMAL"))
        return exp.Case(ifs=[exp.If(this=exp.EQ(this=kind, expression=lit("number")), true=number)])
    path = lit(f'$."{key}"')
    value = _fn("json_extract", column.copy(), path)
    kind = _fn("json_type", column.copy(), path.copy())
    if numeric:
        is_number = exp.In(this=kind, expressions=[lit("integer"), lit("real")])
        return exp.Case(ifs=[exp.If(this=is_number, true=value)])
    return exp.Case(
        this=kind,
        ifs=[
            exp.If(this=lit("true"), true=lit("true")),
            exp.If(this=lit("false"), true=lit("false")),
        ],
        default=exp.Cast(this=value, to=exp.DataType.build("TEXT")),
    )


def _zero_safe(tree: exp.Select) -> None:
    """Division and modulo by zero read as NULL, as SQLite has it (PostgreSQL would raise)."""
    for node in list(tree.find_all(exp.Div, exp.Mod)):
        divisor = node.expression
        node.set("expression", exp.Nullif(this=divisor.copy(), expression=exp.Literal.number(0)))


def _int64_casts(tree: exp.Select) -> None:
    """Integer casts are 64-bit on both databases and NULL outside that range (PostgreSQL's
    INT is 32-bit and raises; SQLite saturates)."""
    for cast in list(tree.find_all(exp.Cast)):
        if not cast.to.is_type(*INTEGER_TYPES):
            continue
        value = cast.this
        inside = exp.Between(
            this=value.copy(), low=exp.Literal.number(INT64[0]), high=exp.Literal.number(INT64[1])
        )
        whole = exp.Cast(this=value.copy(), to=exp.DataType.build("BIGINT"))
        cast.replace(exp.Case(ifs=[exp.If(this=inside, true=whole)]))


def _translate(tree: exp.Select, dialect: str) -> exp.Select:
    tree = tree.copy()
    _zero_safe(tree)
    for table in list(tree.find_all(exp.Table)):
        alias = table.alias or EVENTS
        table.replace(exp.Table(this=exp.to_identifier(SCOPE), alias=exp.TableAlias(
            this=exp.to_identifier(alias))))  # fmt: skip
    for node in list(tree.walk()):
        key = property_key(node)
        if key is None:
            continue
        qualifier = node.args.get("db") if isinstance(node, exp.Column) else None
        if isinstance(node, exp.Column):
            column = exp.column("properties", table=qualifier.name if qualifier else None)
        else:
            column = node.this
        node.replace(_read_property(column, key, _numeric_context(node), dialect))
    _int64_casts(tree)
    return tree


def dialect() -> str:
    dialect = DIALECTS.get(connection.vendor)
    if dialect is None:
        raise ApplicationError(f"sql: SQL billable metrics do not run on {connection.vendor}.")
    return dialect


def compile_metric(sql: str, scope: tuple[str, list[Any]], select: exp.Select | None = None) -> tuple[str, list[Any]]:  # fmt: skip
    """The statement to execute: our scoped CTE, then the caller's query reading from it."""
    name = dialect()
    tree = _translate(select if select is not None else sql_parse(sql), name)
    body = tree.sql(dialect=name, identify=True).replace("%", "%%")
    scope_sql, scope_params = scope
    return f'WITH "{SCOPE}" AS ({scope_sql}) {body}', list(scope_params)
