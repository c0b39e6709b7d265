"""Writing many rows at once where Django's `bulk_create` is most of the cost.

A 10,000-row sheet writes some 50,000 audit events and 10,000 link tokens.
On SQLite, `bulk_create` prepares every value through the SQL compiler;
preparing them with each field's own `get_db_prep_save` and one `executemany`
does the same INSERTs about twice as fast. On PostgreSQL Django's
`bulk_create` already sends whole columns as arrays (UNNEST) and is the
faster of the two, so it is used there. Nothing refers to these rows
afterwards, so their primary keys need not come back.
"""

from django.db import connections, models, router


def insert_rows(objects: list[models.Model], *, batch_size: int = 500) -> None:
    """INSERT unsaved objects of one model whose primary key the database assigns."""
    if not objects:
        return
    model = type(objects[0])
    meta = model._meta
    if not isinstance(meta.pk, models.AutoField):
        raise TypeError(f"{meta.label} has no database-assigned primary key")
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "sqlite":
        model._default_manager.bulk_create(objects, batch_size=batch_size)
        return
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            rows = [
                tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
                for obj in objects[start : start + batch_size]
            ]
            cursor.executemany(sql, rows)
