"""Writing many rows at once where Django's `bulk_create` is most of the cost.

A 10,000-row sheet writes some 50,000 audit events, 10,000 link tokens,
10,000 messages and 30,000 people, affiliations and accounts. `bulk_create`
prepares every value through the SQL compiler, and on PostgreSQL psycopg
then dumps each column as an array; both cost more than the INSERT itself.
Here each value is prepared once by its field (`get_db_prep_save`, skipped
for text that is already a `str`) and sent:

* on SQLite with one `executemany` per batch when no key is needed, or one
  multi-row `INSERT ... RETURNING` per batch when it is (what Django does,
  without the compiler);
* on PostgreSQL with `COPY ... FROM STDIN` (psycopg 3), the fastest way in;
  when the keys are needed they are taken from the table's own sequence
  first (`nextval`, one query) and copied with the rows, so every key is
  the database's and none is guessed.

`insert_values` writes rows of plain values (no model instances: audit events,
tokens and messages that nothing refers to afterwards); `insert_rows` writes
unsaved model instances and, with `returning=True`, gives them their keys as
`bulk_create` does.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router
from django.db.models.base import ModelState
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_init, pre_init

# Fields whose prepared value is the `str` itself: no conversion to do.
_TEXT_FIELDS = (models.CharField, models.TextField)


def _plain(field) -> bool:
    """Does the field prepare values with Django's own CharField/TextField/IntegerField code?

    Only then is a `str` (an `int`) already what the driver takes; a subclass
    with its own preparation always goes through it.
    """
    cls = type(field)
    own = (models.CharField, models.TextField, models.IntegerField)
    # An AutoField (a foreign key's target) only asks the backend to accept the key.
    db_save = (models.Field.get_db_prep_save, AutoFieldMixin.get_db_prep_save)
    db_prep = (models.Field.get_db_prep_value, AutoFieldMixin.get_db_prep_value)
    return (
        cls.get_db_prep_save in db_save
        and cls.get_db_prep_value in db_prep
        and any(cls.get_prep_value is base.get_prep_value for base in own)
    )


def _preparers(fields, connection) -> list:
    """One function per field turning a model-level value into what the driver takes."""

    def prep(field):
        if isinstance(field, _TEXT_FIELDS) and _plain(field):
            generic = field.get_db_prep_save
            return lambda value: value if type(value) is str else generic(value, connection)
        if (isinstance(field, models.IntegerField) and _plain(field)) or (
            isinstance(field, models.ForeignKey) and _plain(field.target_field)
        ):
            generic = field.get_db_prep_save
            return lambda value: (
                value if value is None or type(value) is int else generic(value, connection)
            )
        if isinstance(field, models.DateField):  # and DateTimeField: rows share their times
            generic, memo = field.get_db_prep_save, {}

            def memoised(value):
                try:
                    return memo[value]
                except KeyError:
                    memo[value] = prepared = generic(value, connection)
                    return prepared

            return memoised
        return lambda value, generic=field.get_db_prep_save: generic(value, connection)

    return [prep(field) for field in fields]


def _model_fields(model, names: Sequence[str]) -> list[models.Field]:
    meta = model._meta
    fields = []
    for name in names:
        field = meta.get_field(name)
        if not field.concrete or field.primary_key:
            raise TypeError(f"{meta.label}.{name} is not a column this module writes")
        fields.append(field)
    return fields


def insert_values(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence],
    *,
    returning: bool = False,
    batch_size: int = 1000,
) -> list[int]:
    """INSERT `rows` (values of the fields `names`, model-level) into `model`'s table.

    The primary key is the database's; with `returning` their keys come back
    in the order of `rows`, otherwise the result is empty.
    """
    if not rows:
        return []
    meta = model._meta
    if not isinstance(meta.pk, models.AutoField):
        raise TypeError(f"{meta.label} has no database-assigned primary key")
    fields = _model_fields(model, names)
    connection = connections[router.db_for_write(model)]
    preparers = _preparers(fields, connection)
    prepared = [
        tuple([prep(value) for prep, value in zip(preparers, row, strict=True)]) for row in rows
    ]
    if connection.vendor == "postgresql":
        return _copy(connection, meta, fields, prepared, returning)
    return _insert(connection, meta, fields, prepared, returning, batch_size)


def _insert(connection, meta, fields, rows, returning, batch_size) -> list[int]:
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({})".format(
        quote(meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    one = "({})".format(", ".join(["%s"] * len(fields)))
    keys: list[int] = []
    with connection.cursor() as cursor:
        if not returning:
            sql = f"{head} VALUES {one}"
            for start in range(0, len(rows), batch_size):
                cursor.executemany(sql, rows[start : start + batch_size])
            return keys
        # One statement per batch, within the database's limit on parameters.
        limit = connection.features.max_query_params or 999
        per = max(1, min(batch_size, limit // max(1, len(fields))))
        suffix = f" RETURNING {quote(meta.pk.column)}"
        for start in range(0, len(rows), per):
            batch = rows[start : start + per]
            sql = f"{head} VALUES {', '.join([one] * len(batch))}{suffix}"
            cursor.execute(sql, [value for row in batch for value in row])
            keys.extend(key for (key,) in cursor.fetchall())
    if len(keys) != len(rows):
        raise RuntimeError(f"{meta.label}: {len(rows)} rows written, {len(keys)} keys returned")
    return keys


def _copy(connection, meta, fields, rows, returning) -> list[int]:
    quote = connection.ops.quote_name
    columns = [f.column for f in fields]
    keys: list[int] = []
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(meta.db_table), meta.pk.column, len(rows)],
            )
            keys = [key for (key,) in cursor.fetchall()]
            columns = [meta.pk.column, *columns]
            rows = [(key, *row) for key, row in zip(keys, rows, strict=True)]
        sql = "COPY {} ({}) FROM STDIN".format(
            quote(meta.db_table), ", ".join(quote(c) for c in columns)
        )
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    return keys


def insert_rows(
    objects: list[models.Model], *, batch_size: int = 1000, returning: bool = False
) -> None:
    """INSERT unsaved objects of one model whose primary key the database assigns.

    Each field's `pre_save` runs as in `save()` (auto_now, defaults). With
    `returning`, every object gets its key and is marked saved, as after
    `bulk_create`; related objects must be saved first.
    """
    if not objects:
        return
    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="insert_rows")
    # auto_now and auto_now_add: one time for the whole INSERT, as one statement would have.
    stamped = {
        f.attname: f.pre_save(objects[0], True)
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }
    for obj in objects[1:]:
        obj.__dict__.update(stamped)
    rows = [
        tuple(
            [stamped[f.attname] if f.attname in stamped else f.pre_save(obj, True) for f in fields]
        )
        for obj in objects
    ]
    keys = insert_values(
        model, [f.name for f in fields], rows, returning=returning, batch_size=batch_size
    )
    if returning:
        db = router.db_for_write(model)
        for obj, key in zip(objects, keys, strict=True):
            obj.pk = key
            obj._state.adding = False
            obj._state.db = db


def new_instances(model: type[models.Model], rows: list[dict]) -> list[models.Model]:
    """`[model(**row) for row in rows]`, built without `Model.__init__`'s per-field work.

    Each row maps field names (or attnames) to values; a missing field gets its
    default, a foreign key given as an object sets its id and is cached on the
    instance, as `__init__` does. When the model has its own `__init__`,
    receivers of `pre_init`/`post_init`, or a row holds anything but fields
    (a property), every row goes through `model(**row)` instead.
    """
    meta = model._meta
    fields = meta.concrete_fields
    known = {f.name for f in fields} | {f.attname for f in fields}
    if (
        model.__init__ is not models.Model.__init__
        or pre_init.has_listeners(model)
        or post_init.has_listeners(model)
        or any(not known.issuperset(row) for row in rows)
    ):
        return [model(**row) for row in rows]
    plan = [
        (
            f.name,
            f.attname,
            f.target_field.attname if f.is_relation and f.many_to_one else None,
            f.get_default,
        )
        for f in fields
    ]
    made = []
    for row in rows:
        obj = model.__new__(model)
        state = obj._state = ModelState()
        values = obj.__dict__
        for name, attname, target, default in plan:
            if target is not None and name in row:
                related = row[name]
                values[attname] = getattr(related, target) if related is not None else None
                state.fields_cache[name] = related
            elif name in row:
                values[attname] = row[name]
            elif attname in row:
                values[attname] = row[attname]
            else:
                values[attname] = default()
        made.append(obj)
    return made
