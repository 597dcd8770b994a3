"""INSERT, UPDATE of named fields, and SELECT of one row by equal columns, without the ORM
building the same statement anew on every call.

Every action writes a few rows of the same kinds (a form record, its version, an audit
entry). `Model.save()` builds the INSERT text for each call, and that cost more than running
it. `insert(obj)` sends the statement `obj.save()` would send for a new row: every concrete
field's value taken and prepared by the field itself for this database (`pre_save`, then
`get_db_prep_save`: JSON, dates and times as Django writes them), the primary key read back.
`first(Model, a=..., b=...)` is `Model.objects.filter(a=..., b=...).order_by("pk").first()`
(`b=None`: IS NULL; `order_by=`, `lock=True` for FOR UPDATE on PostgreSQL, `related=` for
`select_related` of foreign keys one level deep, `defer=` for fields left unread), and `rows(...)` the whole filtered list:
the row comes back through the same converters the ORM applies (booleans, aware datetimes,
JSON) and becomes an instance with `Model.from_db`, as a queryset's rows do.
`insert_new(obj)` inserts unless a row with the same unique values is there (and says which);
`insert_new_with(obj, Child(...), ...)` also inserts rows that depend on it, only if it is new
(one statement on PostgreSQL).
`update(obj, "a", "b")` is `obj.save(update_fields=["a", "b"])` for an existing row, and
`update_sql(obj, "a", "b")` its statement, unsent (for `insert(..., then=...)`).
The statement text is built once per model, columns and database vendor.

Only for plain models: no signals are sent (none of the models it is used on has
receivers), no `save()` override runs, no multi-table inheritance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)

_PLANS: dict[tuple[type[Model], str], tuple[list[Field[Any, Any]], str, bool]] = {}


def _plan(model: type[Model]) -> tuple[list[Field[Any, Any]], str, bool]:
    db = connections[DEFAULT_DB_ALIAS]
    key = (model, db.vendor)
    found = _PLANS.get(key)
    if found is not None:
        return found
    meta = model._meta
    quote = db.ops.quote_name
    auto = meta.auto_field
    fields = [f for f in meta.concrete_fields if f is not auto]
    returning = db.features.can_return_columns_from_insert and auto is not None
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if returning:
        sql += f" RETURNING {quote(auto.column)}"  # type: ignore[union-attr]
    _PLANS[key] = (fields, sql, returning)
    return _PLANS[key]


def _new_row(obj: Model) -> tuple[str, bool, list[Any]]:
    """The INSERT of a new object: its text, whether it returns the id, its parameters."""
    db = connections[DEFAULT_DB_ALIAS]
    if obj.pk is not None and obj._meta.auto_field is not None:
        raise ValueError(f"expected a new {type(obj).__name__}, got one with id {obj.pk}")
    fields, sql, returning = _plan(type(obj))
    return sql, returning, [f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields]


def _stored(obj: M, pk: Any) -> M:
    """`obj` as the ORM leaves an object it has just inserted."""
    db = connections[DEFAULT_DB_ALIAS]
    if obj._meta.auto_field is not None:
        obj.pk = pk
    obj._state.adding = False
    obj._state.db = db.alias
    return obj


Statement = tuple[str, list[Any]]


def insert(obj: M, then: Statement | list[Statement] | None = None) -> M:
    """Insert `obj` as a new row (its auto primary key set afterwards); returns it.

    `then`: an UPDATE (text and parameters), or a list of them, to run right after the
    INSERT, in the same transaction; each must change exactly one row (an error otherwise, and
    the caller's transaction must roll back). On PostgreSQL they all travel as one statement,
    one round trip to the server (`WITH new AS (INSERT ... RETURNING id), u0 AS (UPDATE ...
    RETURNING 1), ... SELECT ...`). Elsewhere they run one after the other.
    """
    db = connections[DEFAULT_DB_ALIAS]
    sql, returning, params = _new_row(obj)
    moves = [] if then is None else [then] if isinstance(then, tuple) else list(then)
    with db.cursor() as cursor:
        if moves and returning and db.vendor == "postgresql":
            pk = db.ops.quote_name(obj._meta.auto_field.column)  # type: ignore[union-attr]
            parts, values, picks = [f"new AS ({sql})"], list(params), [f"(SELECT {pk} FROM new)"]
            for index, (after, after_params) in enumerate(moves):
                parts.append(f"u{index} AS ({after} RETURNING 1)")
                values.extend(after_params)
                picks.append(f"(SELECT count(*) FROM u{index})")
            cursor.execute(f"WITH {', '.join(parts)} SELECT {', '.join(picks)}", values)
            new_pk, *changed = cursor.fetchone()
            for (after, _), count in zip(moves, changed, strict=True):
                if count != 1:
                    raise RuntimeError(f"expected {after!r} to change one row, it changed {count}")
        else:
            cursor.execute(sql, params)
            new_pk = cursor.fetchone()[0] if returning else cursor.lastrowid
            for after, after_params in moves:
                cursor.execute(after, after_params)
                if cursor.rowcount != 1:
                    raise RuntimeError(
                        f"expected {after!r} to change one row, it changed {cursor.rowcount}"
                    )
    return _stored(obj, new_pk)


def insert_new(obj: Model) -> bool:
    """Insert `obj` unless a row with the same unique values exists (ON CONFLICT DO NOTHING).

    True: the row is new and `obj` has its primary key. False: a row was there already and
    nothing was written. One statement either way, where a lookup and then an INSERT would be
    two; a caller that then refuses the new row raises, and its transaction takes it back.
    """
    db = connections[DEFAULT_DB_ALIAS]
    sql, returning, params = _new_row(obj)
    if returning:
        head, tail = sql.rsplit(" RETURNING ", 1)
        sql = f"{head} ON CONFLICT DO NOTHING RETURNING {tail}"
    else:
        sql += " ON CONFLICT DO NOTHING"
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            found = cursor.fetchone()
            if found is None:
                return False
            pk = found[0]
        else:
            if cursor.rowcount != 1:
                return False
            pk = cursor.lastrowid
    _stored(obj, pk)
    return True


@dataclass(frozen=True)
class Child:
    """A row `insert_new_with` writes only if its parent row is new: `obj`, whose foreign
    key `parent` (a field name) then points at the parent; `then` as in `insert`."""

    obj: Model
    parent: str | None = None
    then: tuple[str, list[Any]] | None = None


def insert_new_with(obj: Model, *children: Child) -> bool:
    """`insert_new(obj)` and, only if the row is new, `insert` of each child after it.

    On PostgreSQL it is one statement, one round trip, where it would be one per row:
    `WITH p AS (INSERT ... ON CONFLICT DO NOTHING RETURNING id), c1 AS (INSERT ... SELECT
    ..., p.id FROM p), u1 AS (UPDATE ... AND EXISTS (SELECT 1 FROM p)) SELECT ...`: a child
    is written from the parent's RETURNING row, so none is if the parent was there already.
    Each child's `then` must change exactly one row when the parent is new (the statement is
    otherwise an error, and the caller's transaction must roll back). Elsewhere the rows are
    written one after the other. True: all were written, each object has its primary key.
    False: the parent row was there already and nothing was written.
    """
    db = connections[DEFAULT_DB_ALIAS]
    for child in children:
        link = child.obj._meta.get_field(child.parent) if child.parent is not None else None
        if link is not None and link.remote_field.model is not type(obj):  # type: ignore[union-attr]
            raise ValueError(
                f"{type(child.obj).__name__}.{child.parent} does not point at {type(obj).__name__}"
            )
    if db.vendor != "postgresql" or not children:
        if not insert_new(obj):
            return False
        for child in children:
            if child.parent is not None:
                setattr(child.obj, child.parent, obj)
            insert(child.obj, then=child.then)
        return True
    quote = db.ops.quote_name
    sql, returning, params = _new_row(obj)
    if not returning:
        raise ValueError(f"expected a model with an auto primary key, got {type(obj).__name__}")
    head, tail = sql.rsplit(" RETURNING ", 1)
    parts = [f"p AS ({head} ON CONFLICT DO NOTHING RETURNING {tail})"]
    values: list[Any] = list(params)
    picks = [f"(SELECT {tail} FROM p)"]
    for index, child in enumerate(children):
        fields, _, child_returning = _plan(type(child.obj))
        if not child_returning:
            raise ValueError(
                f"expected a model with an auto primary key, got {type(child.obj).__name__}"
            )
        link = child.obj._meta.get_field(child.parent) if child.parent is not None else None
        items = []
        for f in fields:
            if f is link:
                items.append(f"p.{tail}")
            else:
                items.append("%s")
                values.append(f.get_db_prep_save(f.pre_save(child.obj, True), db))
        auto = quote(child.obj._meta.auto_field.column)  # type: ignore[union-attr]
        parts.append(
            f"c{index} AS (INSERT INTO {quote(child.obj._meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) SELECT {', '.join(items)} FROM p "
            f"RETURNING {auto})"
        )
        picks.append(f"(SELECT {auto} FROM c{index})")
        if child.then is not None:
            after, after_params = child.then
            parts.append(f"u{index} AS ({after} AND EXISTS (SELECT 1 FROM p) RETURNING 1)")
            values.extend(after_params)
            picks.append(f"(SELECT count(*) FROM u{index})")
    with db.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {', '.join(picks)}", values)
        found = list(cursor.fetchone())
    if found[0] is None:
        return False
    _stored(obj, found.pop(0))
    for child in children:
        if child.parent is not None:
            setattr(child.obj, child.parent, obj)
        _stored(child.obj, found.pop(0))
        if child.then is not None and found.pop(0) != 1:
            raise RuntimeError(f"expected {child.then[0]!r} to change one row, it did not")
    return True


@dataclass(frozen=True)
class _Select:
    sql: str
    where: list[Field[Any, Any]]  # the fields compared with a parameter, in order
    converters: list[Any]  # per column: (steps, column) or None
    parts: list[tuple[type[Model], list[str], Field[Any, Any] | None]]  # model, attnames, FK


_SELECTS: dict[tuple[Any, ...], _Select] = {}


def _select_plan(
    model: type[Model], names: tuple[str, ...], nulls: frozenset[str], order_by: str | None,
    lock: bool, related: tuple[str, ...], limit: bool, defer: tuple[str, ...] = (),
) -> _Select:
    db = connections[DEFAULT_DB_ALIAS]
    key = (model, db.vendor, names, nulls, order_by, lock, related, limit, defer)
    found = _SELECTS.get(key)
    if found is not None:
        return found
    meta = model._meta
    quote = db.ops.quote_name
    base = quote(meta.db_table)
    unknown = [name for name in defer if name not in {f.name for f in meta.concrete_fields}]
    if unknown or meta.pk.name in defer:  # type: ignore[union-attr]
        raise ValueError(f"{model.__name__}: cannot defer {unknown or [meta.pk.name]}")  # type: ignore[union-attr]
    kept = [f for f in meta.concrete_fields if f.name not in defer]
    columns = [f"{base}.{quote(f.column)}" for f in kept]
    parts: list[tuple[type[Model], list[str], Field[Any, Any] | None]] = [
        (model, [f.attname for f in kept], None)
    ]
    tables = [(meta.db_table, kept)]
    joins = []
    for index, name in enumerate(related):  # one level of foreign keys, as select_related
        fk = meta.get_field(name)
        other = fk.related_model._meta  # type: ignore[union-attr]
        alias = f"r{index}"
        kind = "LEFT OUTER JOIN" if fk.null else "INNER JOIN"
        target = fk.target_field  # type: ignore[union-attr]
        joins.append(
            f" {kind} {quote(other.db_table)} {alias} "
            f"ON {base}.{quote(fk.column)} = {alias}.{quote(target.column)}"  # type: ignore[union-attr]
        )
        columns += [f"{alias}.{quote(f.column)}" for f in other.concrete_fields]
        parts.append((fk.related_model, [f.attname for f in other.concrete_fields], fk))  # type: ignore[arg-type]
        tables.append((other.db_table, other.concrete_fields))
    where = [meta.get_field(name) for name in names]  # a name or an attname ("site_id")
    tests = [
        f"{base}.{quote(f.column)} IS NULL" if name in nulls  # type: ignore[union-attr]
        else f"{base}.{quote(f.column)} = %s"  # type: ignore[union-attr]
        for name, f in zip(names, where, strict=True)
    ]
    order = meta.get_field(order_by) if order_by else meta.pk
    sql = (
        f"SELECT {', '.join(columns)} FROM {base}{''.join(joins)} "
        f"WHERE {' AND '.join(tests)} ORDER BY {base}.{quote(order.column)}"  # type: ignore[union-attr]
    )
    if limit:
        sql += " LIMIT 1"
    if lock and db.features.has_select_for_update:
        sql += f" FOR UPDATE OF {base}" if related else " FOR UPDATE"
    converters = []
    for table, fields in tables:
        for field in fields:
            column = field.get_col(table)
            steps = db.ops.get_db_converters(column) + column.get_db_converters(db)
            converters.append((steps, column) if steps else None)
    plan = _Select(sql, [f for n, f in zip(names, where, strict=True) if n not in nulls],  # type: ignore[misc]
                   converters, parts)
    _SELECTS[key] = plan
    return plan


def _run(
    model: type[M], order_by: str | None, lock: bool, related: tuple[str, ...], limit: bool,
    equal: dict[str, Any], defer: tuple[str, ...] = (),
) -> list[M]:
    db = connections[DEFAULT_DB_ALIAS]
    names = tuple(equal)
    nulls = frozenset(name for name, value in equal.items() if value is None)
    plan = _select_plan(model, names, nulls, order_by, lock, related, limit, defer)
    params = [
        field.get_db_prep_value(field.get_prep_value(equal[name]), db, prepared=True)
        for name, field in zip([n for n in names if n not in nulls], plan.where, strict=True)
    ]
    if not all(_in_range(field, value) for field, value in zip(plan.where, params, strict=True)):
        return []  # as the ORM: no row holds an integer its column cannot hold
    with db.cursor() as cursor:
        cursor.execute(plan.sql, params)
        found = cursor.fetchall()
    return [_instance(plan, row) for row in found]


def _in_range(field: Field[Any, Any], value: Any) -> bool:
    """False for an integer beyond what the column holds (the ORM's exact lookups then find
    nothing rather than let the database driver fail on it)."""
    db = connections[DEFAULT_DB_ALIAS]
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    ranges = db.ops.integer_field_ranges
    low, high = ranges.get(target.get_internal_type(), (None, None))
    return (low is None or value >= low) and (high is None or value <= high)


def _instance(plan: _Select, row: tuple[Any, ...]) -> Any:
    db = connections[DEFAULT_DB_ALIAS]
    values = list(row)
    for index, convert in enumerate(plan.converters):
        if convert is not None:
            steps, column = convert
            for step in steps:
                values[index] = step(values[index], column, db)
    made, at = None, 0
    for model, attnames, fk in plan.parts:
        chunk = values[at : at + len(attnames)]
        at += len(attnames)
        if fk is None:
            made = model.from_db(db.alias, attnames, chunk)
        elif getattr(made, fk.attname) is None:
            fk.set_cached_value(made, None)  # type: ignore[attr-defined]
        else:
            fk.set_cached_value(made, model.from_db(db.alias, attnames, chunk))  # type: ignore[attr-defined]
    return made


def first(
    model: type[M], *, order_by: str | None = None, lock: bool = False,
    related: tuple[str, ...] = (), defer: tuple[str, ...] = (), **equal: Any,
) -> M | None:
    """The row with these column values (None: IS NULL) that comes first by `order_by` (the
    primary key if not given), or None. `lock`: FOR UPDATE where the database has row locks
    (PostgreSQL; on SQLite the IMMEDIATE transaction holds the write lock already), of this
    model's row only. `related`: foreign keys read in the same statement (`select_related`).
    `defer`: fields of the model not read (as `QuerySet.defer`: read on first access)."""
    found = _run(model, order_by, lock, related, True, equal, defer)
    return found[0] if found else None


def rows(
    model: type[M], *, order_by: str | None = None, related: tuple[str, ...] = (), **equal: Any
) -> list[M]:
    """Every row with these column values, by `order_by` (the primary key if not given):
    `Model.objects.filter(...).select_related(*related).order_by(...)`."""
    return _run(model, order_by, False, related, False, equal)


_UPDATES: dict[tuple[Any, ...], tuple[str, list[Field[Any, Any]]]] = {}


def update_sql(obj: Model, *names: str) -> Statement:
    """The UPDATE `obj.save(update_fields=names)` sends, as text and parameters (for `insert`'s
    `then`, or to run)."""
    db = connections[DEFAULT_DB_ALIAS]
    model = type(obj)
    key = (model, db.vendor, names)
    plan = _UPDATES.get(key)
    if plan is None:
        meta = model._meta
        quote = db.ops.quote_name
        fields = [meta.get_field(name) for name in names]
        sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)  # type: ignore[union-attr]
        sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"  # type: ignore[union-attr]
        plan = _UPDATES[key] = (sql, fields)  # type: ignore[assignment]
    sql, fields = plan
    params = [f.get_db_prep_save(f.pre_save(obj, False), db) for f in fields]
    return sql, [*params, obj.pk]


def update(obj: Model, *names: str) -> None:
    """`obj.save(update_fields=names)`, with the statement text built once."""
    db = connections[DEFAULT_DB_ALIAS]
    sql, params = update_sql(obj, *names)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != 1:
            raise RuntimeError(
                f"expected to update one {type(obj).__name__} row, updated {cursor.rowcount}"
            )
