"""Tables whose rows are only ever added: the access log and the claims' history (HIPAA
§164.312(b), audit controls). Nobody may rewrite who saw or changed what.

Two locks, one in each layer:
- in the application, the models and querysets here refuse ``update()``, ``delete()`` and a save
  of a stored row, on every database;
- on PostgreSQL, a trigger refuses any UPDATE or DELETE of a row, whoever sends it (raw SQL, a
  shell, another program on the same role). The migrations that create the tables add it
  (``append_only_operation``). TRUNCATE is a statement trigger's business and is left alone: the
  test runner empties tables with it, and a role that may truncate owns the tables anyway.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations import RunPython
from django.db.migrations.state import StateApps
from simple_history.manager import HistoricalQuerySet

REFUSAL = "Rows of {table} are only ever added: they cannot be changed or deleted."


class AppendOnlyError(RuntimeError):
    """An attempt to change or delete a row of an append-only table."""


def _refusal(rows: Any) -> AppendOnlyError:
    return AppendOnlyError(REFUSAL.format(table=rows.model._meta.db_table))


class AppendOnlyQuerySetMixin:
    """Mixed into a queryset: no ``update()`` or ``delete()``."""

    def update(self, **kwargs: Any) -> int:
        raise _refusal(self)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise _refusal(self)


class AppendOnlyQuerySet(AppendOnlyQuerySetMixin, models.QuerySet[Any]):
    pass


class AppendOnlyHistoricalQuerySet(AppendOnlyQuerySetMixin, HistoricalQuerySet):
    """django-simple-history's queryset for a model's history rows, append-only."""


class AppendOnlyModel(models.Model):
    """A row that is saved once and then only read."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(REFUSAL.format(table=self._meta.db_table))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(REFUSAL.format(table=self._meta.db_table))


class AppendOnlyHistory(AppendOnlyModel):
    """The base of the history models django-simple-history builds (``bases=``): their manager
    refuses updates and deletes too."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True


def _trigger_sql(table: str) -> str:
    function = f"{table}_append_only"
    message = REFUSAL.format(table=table).replace("'", "''")
    return f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS {function} ON {table};
        CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}();
    """


def _drop_sql(table: str) -> str:
    function = f"{table}_append_only"
    return f"DROP TRIGGER IF EXISTS {function} ON {table}; DROP FUNCTION IF EXISTS {function}();"


def append_only_operation(*tables: str) -> RunPython:
    """A migration operation that puts the PostgreSQL trigger on `tables` (nothing on SQLite,
    where the application's lock is the one there is)."""

    def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for table in tables:
                schema_editor.execute(_trigger_sql(table))

    def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for table in tables:
                schema_editor.execute(_drop_sql(table))

    return RunPython(forwards, backwards, elidable=False)
