"""INSERT, and SELECT of one row by equal columns, without the ORM building the same statement
anew on every call.

Every action writes a few rows of the same kinds (a form record, its version, an audit
entry). `Model.save()` builds the INSERT text for each call, and that cost more than running
it. `insert(obj)` sends the statement `obj.save()` would send for a new row: every concrete
field's value taken and prepared by the field itself for this database (`pre_save`, then
`get_db_prep_save`: JSON, dates and times as Django writes them), the primary key read back.
`first(Model, a=..., b=...)` is `Model.objects.filter(a=..., b=...).order_by("pk").first()`:
the row comes back through the same converters the ORM applies (booleans, aware datetimes,
JSON) and becomes an instance with `Model.from_db`, as a queryset's rows do.
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


def insert(obj: M) -> M:
    """Insert `obj` as a new row (its auto primary key set afterwards); returns it."""
    if obj.pk is not None and obj._meta.auto_field is not None:
        raise ValueError(f"expected a new {type(obj).__name__}, got one with id {obj.pk}")
    fields, sql, returning = _plan(type(obj))
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if obj._meta.auto_field is not None:
            obj.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


_SELECTS: dict[tuple[type[Model], str, tuple[str, ...]], tuple[str, list[Field[Any, Any]], list[Any]]] = {}


def _select_plan(
    model: type[Model], names: tuple[str, ...]
) -> tuple[str, list[Field[Any, Any]], list[Any]]:
    key = (model, connection.vendor, names)
    found = _SELECTS.get(key)
    if found is not None:
        return found
    meta = model._meta
    quote = connection.ops.quote_name
    fields = list(meta.concrete_fields)
    where = [meta.get_field(name) for name in names]  # a name or an attname ("site_id")
    sql = (
        f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(meta.db_table)} "
        f"WHERE {' AND '.join(f'{quote(f.column)} = %s' for f in where)} "  # type: ignore[union-attr]
        f"ORDER BY {quote(meta.pk.column)} LIMIT 1"  # type: ignore[union-attr]
    )
    converters = []
    for field in fields:
        column = field.get_col(meta.db_table)
        steps = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        converters.append((steps, column) if steps else None)
    _SELECTS[key] = (sql, where, converters)  # type: ignore[assignment]
    return _SELECTS[key]


def first(model: type[M], **equal: Any) -> M | None:
    """The row with these column values and the smallest primary key, or None."""
    names = tuple(equal)
    sql, where, converters = _select_plan(model, names)
    params = [
        field.get_db_prep_value(field.get_prep_value(equal[name]), connection, prepared=True)
        for name, field in zip(names, where, strict=True)
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
