"""INSERT, UPDATE of named fields, and SELECT of one row by equal columns, without the ORM
building the same statement anew on every call.

Every action writes a few rows of the same kinds (a form record, its version, an audit
entry). `Model.save()` builds the INSERT text for each call, and that cost more than running
it. `insert(obj)` sends the statement `obj.save()` would send for a new row: every concrete
field's value taken and prepared by the field itself for this database (`pre_save`, then
`get_db_prep_save`: JSON, dates and times as Django writes them), the primary key read back.
`first(Model, a=..., b=...)` is `Model.objects.filter(a=..., b=...).order_by("pk").first()`
(`b=None`: IS NULL; `order_by=`, `lock=True` for FOR UPDATE on PostgreSQL):
the row comes back through the same converters the ORM applies (booleans, aware datetimes,
JSON) and becomes an instance with `Model.from_db`, as a queryset's rows do.
`insert_new(obj)` inserts unless a row with the same unique values is there (and says which).
`update(obj, "a", "b")` is `obj.save(update_fields=["a", "b"])` for an existing row.
The statement text is built once per model, columns and database vendor.

Only for plain models: no signals are sent (none of the models it is used on has
receivers), no `save()` override runs, no multi-table inheritance.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)

_PLANS: dict[tuple[type[Model], str], tuple[list[Field[Any, Any]], str, bool]] = {}


def _plan(model: type[Model]) -> tuple[list[Field[Any, Any]], str, bool]:
    key = (model, connection.vendor)
    found = _PLANS.get(key)
    if found is not None:
        return found
    meta = model._meta
    quote = connection.ops.quote_name
    auto = meta.auto_field
    fields = [f for f in meta.concrete_fields if f is not auto]
    returning = connection.features.can_return_columns_from_insert and auto is not None
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if returning:
        sql += f" RETURNING {quote(auto.column)}"  # type: ignore[union-attr]
    _PLANS[key] = (fields, sql, returning)
    return _PLANS[key]


def insert(obj: M, then: tuple[str, list[Any]] | None = None) -> M:
    """Insert `obj` as a new row (its auto primary key set afterwards); returns it.

    `then`: an UPDATE (text and parameters) to run right after the INSERT, in the same
    transaction. On PostgreSQL both travel as one statement, one round trip to the server
    (`WITH new AS (INSERT ... RETURNING id) UPDATE ... RETURNING (SELECT id FROM new)`); the
    UPDATE must change exactly one row. Elsewhere they run one after the other.
    """
    if obj.pk is not None and obj._meta.auto_field is not None:
        raise ValueError(f"expected a new {type(obj).__name__}, got one with id {obj.pk}")
    fields, sql, returning = _plan(type(obj))
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        if then is not None and returning and connection.vendor == "postgresql":
            after, after_params = then
            pk = connection.ops.quote_name(obj._meta.auto_field.column)  # type: ignore[union-attr]
            cursor.execute(
                f"WITH new AS ({sql}) {after} RETURNING (SELECT {pk} FROM new)",
                [*params, *after_params],
            )
            found = cursor.fetchall()
            if len(found) != 1:
                raise RuntimeError(f"expected {after!r} to change one row, it changed {len(found)}")
            obj.pk = found[0][0]
        else:
            cursor.execute(sql, params)
            if obj._meta.auto_field is not None:
                obj.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
            if then is not None:
                cursor.execute(*then)
                if cursor.rowcount != 1:
                    raise RuntimeError(
                        f"expected {then[0]!r} to change one row, it changed {cursor.rowcount}"
                    )
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def insert_new(obj: Model) -> bool:
    """Insert `obj` unless a row with the same unique values exists (ON CONFLICT DO NOTHING).

    True: the row is new and `obj` has its primary key. False: a row was there already and
    nothing was written. One statement either way, where a lookup and then an INSERT would be
    two; a caller that then refuses the new row raises, and its transaction takes it back.
    """
    if obj.pk is not None and obj._meta.auto_field is not None:
        raise ValueError(f"expected a new {type(obj).__name__}, got one with id {obj.pk}")
    fields, sql, returning = _plan(type(obj))
    if returning:
        head, tail = sql.rsplit(" RETURNING ", 1)
        sql = f"{head} ON CONFLICT DO NOTHING RETURNING {tail}"
    else:
        sql += " ON CONFLICT DO NOTHING"
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
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
    if obj._meta.auto_field is not None:
        obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias
    return True


_Plan = tuple[str, list["Field[Any, Any]"], list[Any]]
_SELECTS: dict[tuple[Any, ...], _Plan] = {}


def _select_plan(
    model: type[Model], names: tuple[str, ...], nulls: frozenset[str], order_by: str | None,
    lock: bool,
) -> _Plan:
    key = (model, connection.vendor, names, nulls, order_by, lock)
    found = _SELECTS.get(key)
    if found is not None:
        return found
    meta = model._meta
    quote = connection.ops.quote_name
    fields = list(meta.concrete_fields)
    where = [meta.get_field(name) for name in names]  # a name or an attname ("site_id")
    tests = [
        f"{quote(f.column)} IS NULL" if name in nulls else f"{quote(f.column)} = %s"  # type: ignore[union-attr]
        for name, f in zip(names, where, strict=True)
    ]
    order = meta.get_field(order_by) if order_by else meta.pk
    sql = (
        f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(meta.db_table)} "
        f"WHERE {' AND '.join(tests)} "
        f"ORDER BY {quote(order.column)} LIMIT 1"  # type: ignore[union-attr]
    )
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    converters = []
    for field in fields:
        column = field.get_col(meta.db_table)
        steps = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        converters.append((steps, column) if steps else None)
    _SELECTS[key] = (sql, [f for n, f in zip(names, where, strict=True) if n not in nulls],
                     converters)  # type: ignore[list-item]
    return _SELECTS[key]


def first(
    model: type[M], *, order_by: str | None = None, lock: bool = False, **equal: Any
) -> M | None:
    """The row with these column values (None: IS NULL) that comes first by `order_by` (the
    primary key if not given), or None. `lock`: FOR UPDATE where the database has row locks
    (PostgreSQL; on SQLite the IMMEDIATE transaction holds the write lock already)."""
    names = tuple(equal)
    nulls = frozenset(name for name, value in equal.items() if value is None)
    sql, where, converters = _select_plan(model, names, nulls, order_by, lock)
    params = [
        field.get_db_prep_value(field.get_prep_value(equal[name]), connection, prepared=True)
        for name, field in zip([n for n in names if n not in nulls], where, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, convert in enumerate(converters):
        if convert is not None:
            steps, column = convert
            for step in steps:
                values[index] = step(values[index], column, connection)
    return model.from_db(  # type: ignore[return-value]
        connection.alias, [f.attname for f in model._meta.concrete_fields], values
    )


_UPDATES: dict[tuple[Any, ...], tuple[str, list[Field[Any, Any]]]] = {}


def update(obj: Model, *names: str) -> None:
    """`obj.save(update_fields=names)`, with the statement text built once."""
    model = type(obj)
    key = (model, connection.vendor, names)
    plan = _UPDATES.get(key)
    if plan is None:
        meta = model._meta
        quote = connection.ops.quote_name
        fields = [meta.get_field(name) for name in names]
        sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)  # type: ignore[union-attr]
        sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"  # type: ignore[union-attr]
        plan = _UPDATES[key] = (sql, fields)  # type: ignore[assignment]
    sql, fields = plan
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])
        if cursor.rowcount != 1:
            raise RuntimeError(f"expected to update one {model.__name__} row, updated {cursor.rowcount}")
