"""INSERT without the ORM building the same statement anew on every call.

Every action writes a few rows of the same kinds (a form record, its version, an audit
entry). `Model.save()` builds the INSERT text for each call, and that cost more than running
it. `insert(obj)` sends the statement `obj.save()` would send for a new row: every concrete
field's value taken and prepared by the field itself for this database (`pre_save`, then
`get_db_prep_save`: JSON, dates and times as Django writes them), the primary key read back.
The statement text is built once per model and database vendor.

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
