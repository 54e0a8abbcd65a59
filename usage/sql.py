"""SQL billable metrics: a validated, read-only SELECT over the caller's own events.

The language (parsed by sqlglot with the PostgreSQL grammar, then transpiled to the database in
use, PostgreSQL or SQLite):

- exactly one SELECT statement with exactly one output column, which contains an aggregate:
  SUM, COUNT (incl. COUNT(DISTINCT ...) and COUNT(*) FILTER (WHERE ...)), MAX, MIN or AVG.
  The statement returns one number; no GROUP BY at the top level (subqueries may group).
- the only relation is `events`, with the columns transaction_id, customer_id, event_type,
  timestamp and properties; subqueries in FROM are allowed, joins, CTEs, set operations
  (UNION/INTERSECT/EXCEPT), VALUES, window functions, LIMIT and parameters are not. One
  level of subquery at most (deeper nesting makes the work grow as n^3).
- scalar functions from a small allowlist (COALESCE, NULLIF, CAST, CASE, ABS, ROUND, CEIL,
  FLOOR, LOWER, UPPER, LENGTH); anything else (now(), pg_sleep(), ...) is rejected.
- event properties are read as `properties.tokens`, `properties['tokens']` or
  `properties ->> 'tokens'` (top-level keys only; an `events.`/alias qualifier is allowed).
  A property is read as a number where a number is expected: inside SUM/AVG/MIN/MAX, in
  arithmetic, under CAST(... AS <numeric type>), in a comparison with a numeric literal, or in
  a COALESCE/NULLIF/CASE in such a place. There only JSON numbers count; a string, boolean or
  missing value reads as NULL (ignored by aggregates). Everywhere else a property reads as text
  (JSON true/false as 'true'/'false'), including a property passed up from a subquery: write
  CAST(properties.x AS NUMERIC) there.
- unquoted names fold to lower case as in PostgreSQL, except property keys, which are
  case-sensitive JSON keys (properties.userId reads "userId").

Example: SELECT SUM(properties.tokens) FROM events WHERE event_type = 'completion'

At run time a metric behaves the same on both databases where they would differ: a division
or modulo by zero is NULL (the event adds nothing), and an integer cast (INT, SMALLINT, BIGINT)
is 64-bit, NULL outside that range. Any other error the database raises on the events (a text
that is not a number under a cast, on PostgreSQL) and a run over SQL_METRIC_TIMEOUT_MS become a
`SqlMetricFailed` (a 400 naming the metric for its own reader), which the month close, sweeps and
searches record on the metric and the statement instead of stopping.

We run it, never the caller: `events` becomes a CTE over usage_usageevent filtered by us to one
customer's event ids and the billing period, with bound parameters.
"""

from typing import Any

import sqlglot
from django.db import DatabaseError, connection, transaction
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from billing_console.api import ApplicationError

READ_DIALECT = "postgres"
DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite"}
EVENTS = "events"
SCOPE = "bc_scoped_events"  # the CTE we put in place of `events`
COLUMNS = ("transaction_id", "customer_id", "event_type", "timestamp", "properties")
MAX_SQL_LENGTH = 10_000
MAX_SELECT_DEPTH = 2  # the statement and one level of subquery

AGGREGATES = (exp.Sum, exp.Count, exp.Max, exp.Min, exp.Avg)
FUNCTIONS = (
    *AGGREGATES, exp.Coalesce, exp.Nullif, exp.Cast, exp.Case, exp.If, exp.Abs, exp.Round,
    exp.Ceil, exp.Floor, exp.Lower, exp.Upper, exp.Length,
)  # fmt: skip
# Every other node type is rejected: this is an allowlist of the grammar we accept.
NODES = (
    *FUNCTIONS, exp.Select, exp.From, exp.Where, exp.Group, exp.Having, exp.Table,
    exp.TableAlias, exp.Identifier, exp.Column, exp.Subquery, exp.Alias, exp.Literal, exp.Null,
    exp.Boolean, exp.Star, exp.Distinct, exp.Paren, exp.And, exp.Or, exp.Not, exp.EQ, exp.NEQ,
    exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between, exp.Like, exp.ILike, exp.Escape, exp.Add,
    exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg, exp.DataType, exp.DataTypeParam, exp.Filter,
    exp.Bracket, exp.JSONExtractScalar, exp.JSONExtract, exp.JSONPath, exp.JSONPathRoot,
    exp.JSONPathKey,
)  # fmt: skip
NUMERIC_TYPES = (
    exp.DataType.Type.DECIMAL, exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT,
    exp.DataType.Type.INT, exp.DataType.Type.BIGINT, exp.DataType.Type.SMALLINT,
    exp.DataType.Type.TINYINT, exp.DataType.Type.BIGDECIMAL,
)  # fmt: skip
TEXT_TYPES = (
    exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT, exp.DataType.Type.CHAR,
    exp.DataType.Type.NVARCHAR, exp.DataType.Type.NCHAR,
)  # fmt: skip
NUMERIC_PARENTS = (exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Add, exp.Sub, exp.Mul, exp.Div,
                   exp.Mod, exp.Neg, exp.Abs, exp.Round, exp.Ceil, exp.Floor)  # fmt: skip
COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.In)
PASS_THROUGH = (exp.Coalesce, exp.Nullif, exp.Case, exp.If)


INTEGER_TYPES = (
    exp.DataType.Type.INT, exp.DataType.Type.BIGINT, exp.DataType.Type.SMALLINT,
    exp.DataType.Type.TINYINT,
)  # fmt: skip
INT64 = (-(2**63), 2**63 - 1)


class SqlMetricFailed(ApplicationError):
    """The database could not evaluate a SQL metric over its events (bad data, a timeout)."""

    def __init__(self, why: str, metric: Any = None) -> None:
        name = f"billable metric '{metric.name}'" if metric is not None else "the SQL metric"
        super().__init__(f"sql: {name} failed on its events: {why}")
        self.why = why
        self.metric = metric

    def of(self, metric: Any) -> "SqlMetricFailed":
        """The same failure, naming `metric`."""
        return SqlMetricFailed(self.why, metric)


def _fail(why: str) -> ApplicationError:
    return ApplicationError(f"sql: {why}")


def _name(node: exp.Expression) -> str:
    return node.key.upper() if not isinstance(node, exp.Func) else node.sql_name()


# -- validation -------------------------------------------------------------------------------


def _parse(sql: Any) -> exp.Select:
    if not isinstance(sql, str) or not sql.strip():
        raise _fail("must be a SELECT statement.")
    if len(sql) > MAX_SQL_LENGTH:
        raise _fail(f"must be at most {MAX_SQL_LENGTH} characters.")
    try:
        statements = [s for s in sqlglot.parse(sql, read=READ_DIALECT) if s is not None]
    except SqlglotError as err:
        first = str(err).splitlines()[0] if str(err) else "syntax error"
        raise _fail(f"could not parse the query ({first}).") from None
    if len(statements) != 1:
        raise _fail(f"must be exactly one statement (got {len(statements)}).")
    tree = statements[0]
    if not isinstance(tree, exp.Select):
        raise _fail(f"must be a SELECT statement, not {_name(tree)}.")
    # Unquoted names fold to lower case as in PostgreSQL (FROM Events = FROM events), except
    # property keys: JSON keys are case-sensitive, so properties.userId reads "userId".
    for column in tree.find_all(exp.Column):
        if column.table.lower() == "properties":
            column.this.set("quoted", True)
    return normalize_identifiers(tree, dialect=READ_DIALECT)


def property_key(node: exp.Expression) -> str | None:
    """The property a node reads (`properties.x`, `properties['x']`, `properties ->> 'x'`)."""
    if isinstance(node, exp.Column) and node.table == "properties":
        return node.name
    if isinstance(node, exp.Bracket) and _is_properties(node.this):
        keys = node.expressions
        if len(keys) == 1 and isinstance(keys[0], exp.Literal) and keys[0].is_string:
            return keys[0].name
        raise _fail("read a property as properties['name'] with one string key.")
    if isinstance(node, (exp.JSONExtractScalar, exp.JSONExtract)) and _is_properties(node.this):
        path = node.expression
        if isinstance(path, exp.JSONPath):
            parts = path.expressions
            if (
                len(parts) == 2
                and isinstance(parts[0], exp.JSONPathRoot)
                and isinstance(parts[1], exp.JSONPathKey)
            ):
                return str(parts[1].this)
        elif isinstance(path, exp.Literal) and path.is_string:
            return path.name
        raise _fail("read a property as properties ->> 'name' (top-level keys only).")
    return None


def _is_properties(node: Any) -> bool:
    return isinstance(node, exp.Column) and node.name == "properties" and not node.args.get("db")


def _check_key(key: str) -> None:
    if not key or len(key) > 200 or any(c in key for c in '"\\') or not key.isprintable():
        raise _fail(f"property name {key!r} is not allowed.")


def _names(tree: exp.Expression) -> tuple[set[str], set[str]]:
    """(relation names a column may be qualified with, output aliases a column may name)."""
    relations = {EVENTS}
    aliases: set[str] = set()
    for node in tree.walk():
        if isinstance(node, exp.TableAlias) and node.name:
            relations.add(node.name)
        elif isinstance(node, exp.Alias) and node.alias:
            aliases.add(node.alias)
    return relations, aliases


def _depth(node: exp.Expression) -> int:
    """How many SELECTs deep `node` sits (the statement itself: 1)."""
    depth, parent = 1, node.parent
    while parent is not None:
        depth += isinstance(parent, exp.Select)
        parent = parent.parent
    return depth


def _check_cost(tree: exp.Select) -> None:
    """A bound on the work a metric can ask for: one level of subquery at most (a subquery
    in FROM, or one correlated subquery: n x n rows); deeper nesting grows as n^3 and more."""
    deepest = max((_depth(s) for s in tree.find_all(exp.Select)), default=1)
    if deepest > MAX_SELECT_DEPTH:
        raise _fail(
            f"at most {MAX_SELECT_DEPTH - 1} level of subquery is allowed (found {deepest - 1})."
        )


def _check_nodes(tree: exp.Select) -> None:
    _check_cost(tree)
    relations, aliases = _names(tree)
    property_nodes: set[int] = set()
    for node in tree.walk():
        if id(node) in property_nodes:
            continue
        key = property_key(node)
        if key is not None:
            _check_key(key)
            qualifier = node.args.get("db") if isinstance(node, exp.Column) else None
            if qualifier is not None and qualifier.name not in relations:
                raise _fail(f"unknown relation '{qualifier.name}'.")
            property_nodes.update(id(n) for n in node.walk())
            continue
        if not isinstance(node, NODES):
            raise _fail(f"{_name(node)} is not allowed in a billable metric.")
        if isinstance(node, exp.Table):
            if node.name != EVENTS or node.args.get("db") or node.args.get("catalog"):
                raise _fail(f"the only table is '{EVENTS}' (got '{node.sql(READ_DIALECT)}').")
        elif isinstance(node, exp.Column):
            if node.name == "properties" and not node.table:
                raise _fail("read a property as properties.<name>, not the whole object.")
            if node.table and node.table not in relations:
                raise _fail(f"unknown relation '{node.table}'.")
            if node.name not in COLUMNS and node.name not in aliases:
                raise _fail(f"unknown column '{node.name}'; events have {', '.join(COLUMNS)}.")
        elif isinstance(node, exp.Cast) and not node.to.is_type(*NUMERIC_TYPES, *TEXT_TYPES):
            raise _fail(f"CAST to {node.to.sql(READ_DIALECT)} is not allowed.")
        elif isinstance(node, exp.Select) and (
            node.args.get("limit") or node.args.get("offset") or node.args.get("order")
        ):
            raise _fail("LIMIT, OFFSET and ORDER BY are not allowed.")
        elif isinstance(node, exp.Select) and node.args.get("joins"):
            raise _fail("joins are not allowed; read from events only.")


def reading_select_from(select: exp.Select) -> exp.Expression | None:
    clause = select.args.get("from_") or select.args.get("from")
    return clause.this if isinstance(clause, exp.From) else None


def _check_shape(tree: exp.Select) -> None:
    if reading_select_from(tree) is None:
        raise _fail(f"must read FROM {EVENTS}.")
    if not any(t.name == EVENTS for t in tree.find_all(exp.Table)):
        raise _fail(f"must read FROM {EVENTS}.")
    if len(tree.expressions) != 1:
        raise _fail(f"must select exactly one value (got {len(tree.expressions)}).")
    if tree.args.get("group"):
        raise _fail("GROUP BY is not allowed at the top level; a metric is one number.")
    if tree.args.get("distinct"):
        raise _fail("SELECT DISTINCT is not allowed at the top level.")
    if not _has_own_aggregate(tree.expressions[0]):
        raise _fail("must aggregate: use SUM, COUNT, MAX, MIN or AVG.")


def _has_own_aggregate(node: exp.Expression) -> bool:
    """An aggregate in the projection itself, not only inside a scalar subquery."""
    return any(n.find_ancestor(exp.Subquery) is None for n in node.find_all(*AGGREGATES))


def sql_parse(sql: Any) -> exp.Select:
    """The parsed, checked tree of a SQL metric, or a 400 naming `sql`."""
    tree = _parse(sql)
    _check_nodes(tree)
    _check_shape(tree)
    return tree


def sql_validate(sql: Any) -> str:
    """Check a SQL metric statically and by a dry run on this database; the text to store."""
    from usage.sql_run import no_events, scope_sql
    from usage.sql_translate import compile_metric

    sql_parse(sql)
    query, params = compile_metric(sql, scope_sql(no_events()))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(query, params)
            cursor.fetchall()
    except DatabaseError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise _fail(f"the database rejected the query: {first}") from None
    return sql.strip()
