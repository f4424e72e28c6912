"""Statements for hot paths: written in SQLAlchemy Core, compiled once per dialect, and run on the
database driver's own connection.

An upload runs about ten indexed lookups and inserts. SQLAlchemy's execution of a compiled Core
statement (execution context, parameter construction, result object) took 60-200 us each inside
a running server here, several times what SQLite itself spends on such a statement. A
``Prepared`` keeps what SQLAlchemy decides for the dialect (the SQL text, the order of its
parameters, the types' bind and result processors, so values are stored and read exactly as
SQLAlchemy stores and reads them) and leaves out the per-execution machinery.

A prepared statement runs on an open SQLAlchemy ``Connection``, inside the transaction its owner
began (``Database.read_connection`` / ``write_connection``, or an ORM session's connection), on
the same driver connection. What it cannot do, it refuses when it is compiled: parameters that
expand (``IN`` lists) and column defaults computed in Python, which every statement here states
as values instead.

Driver errors are raised as SQLAlchemy's (``sqlalchemy.exc.IntegrityError`` for a unique
constraint, ``DBAPIError`` otherwise), as executing through SQLAlchemy would raise them.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import CompoundSelect, Select

Processor = Callable[[Any], Any]
Params = Mapping[str, Any]
_UNSET = object()


class PreparedError(Exception):
    """A statement that cannot run prepared (a programming error, found at its first use)."""


@dataclass(frozen=True)
class _Bind:
    name: str
    default: Any  # the statement's own value for the parameter, or _UNSET
    process: Processor | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    binds: tuple[_Bind, ...]
    columns: tuple[Processor | None, ...]
    make_row: Callable[[Iterable[Any]], tuple[Any, ...]]


class Prepared:
    """One Core statement (select, insert, update or delete, with RETURNING where needed),
    compiled on first use for each dialect it meets."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        """The statement as ``dialect`` runs it. Raises PreparedError for unsupported parts."""
        done = self._compiled.get(dialect.name)
        if done is None:
            done = self._compiled[dialect.name] = _compile(self.statement, dialect)
        return done

    def __repr__(self) -> str:
        return f"Prepared({str(self.statement)[:60]!r})"


def insert_values(table: Any, *keys: str) -> Insert:
    """``INSERT INTO table`` of exactly the columns ``keys``, each taken from the parameter of
    the same name (``table`` a Table or a mapped class)."""
    return insert(table).values({key: bindparam(key) for key in keys})


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    if not isinstance(statement, Select | CompoundSelect | UpdateBase):
        raise PreparedError(f"{statement!r}: only Core selects, inserts, updates and deletes "
                            "run prepared")
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):
        raise PreparedError(f"{statement!r} does not compile to SQL")
    if compiled.insert_prefetch or compiled.update_prefetch:
        missing = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        raise PreparedError(f"give these columns values, not Python defaults: {missing}")
    names = compiled.positiontup if compiled.positional else list(compiled.bind_names.values())
    binds = []
    for name in names or ():
        bind = compiled.binds[name]
        if bind.expanding:
            raise PreparedError(f"parameter {name!r} expands; not supported prepared")
        default = _UNSET if bind.required else bind.effective_value
        binds.append(_Bind(name, default, bind.type.dialect_impl(dialect).bind_processor(dialect)))
    columns = _result_columns(statement)
    processors = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                       for c in columns)
    # Rows name each column by its key, as SQLAlchemy's rows do.
    row = namedtuple("Row", [str(c.key) for c in columns], rename=True)  # type: ignore[misc]
    return _Compiled(compiled.string, compiled.positional, tuple(binds), processors, row._make)


def _result_columns(statement: Select[Any] | CompoundSelect[Any] | UpdateBase
                    ) -> list[ColumnElement[Any]]:
    if isinstance(statement, UpdateBase):
        return list(statement.exported_columns)  # its RETURNING columns, if any
    return list(statement.selected_columns)


def _parameters(compiled: _Compiled, params: Params) -> Sequence[Any] | dict[str, Any]:
    values = []
    for bind in compiled.binds:
        value = params.get(bind.name, bind.default)
        if value is _UNSET:
            raise PreparedError(f"no value for parameter {bind.name!r}")
        values.append(value if bind.process is None else bind.process(value))
    if compiled.positional:
        return values
    return {bind.name: value for bind, value in zip(compiled.binds, values, strict=True)}


def _wrap(error: Exception, compiled: _Compiled,
          parameters: Sequence[Any] | Mapping[str, Any], dialect: Dialect) -> StatementError:
    return DBAPIError.instance(compiled.sql, parameters, error, dialect.loaded_dbapi.Error,
                               dialect=dialect)


def execute(connection: Connection, prepared: Prepared, params: Params | None = None
            ) -> list[tuple[Any, ...]]:
    """Run ``prepared`` once with ``params``; its rows (named tuples), empty when none."""
    dialect = connection.dialect
    compiled = prepared.compiled(dialect)
    parameters = _parameters(compiled, params or {})
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        cursor.execute(compiled.sql, parameters)
        raw = cursor.fetchall() if compiled.columns else []
    except dialect.loaded_dbapi.Error as error:
        raise _wrap(error, compiled, parameters, dialect) from error
    finally:
        cursor.close()
    return [_row(compiled, values) for values in raw]


def execute_many(connection: Connection, prepared: Prepared, rows: Sequence[Params]) -> None:
    """Run ``prepared`` (a statement without RETURNING) once per mapping in ``rows``."""
    dialect = connection.dialect
    compiled = prepared.compiled(dialect)
    parameters = [_parameters(compiled, row) for row in rows]
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        cursor.executemany(compiled.sql, parameters)
    except dialect.loaded_dbapi.Error as error:
        raise _wrap(error, compiled, parameters, dialect) from error
    finally:
        cursor.close()


def first(connection: Connection, prepared: Prepared, params: Params | None = None
          ) -> Any | None:
    """The first row ``prepared`` returns, or None."""
    rows = execute(connection, prepared, params)
    return rows[0] if rows else None


def scalar(connection: Connection, prepared: Prepared, params: Params | None = None) -> Any:
    """The first column of the first row, or None when there is no row."""
    row = first(connection, prepared, params)
    return None if row is None else row[0]


def _row(compiled: _Compiled, values: Sequence[Any]) -> tuple[Any, ...]:
    return compiled.make_row(
        value if process is None else process(value)
        for process, value in zip(compiled.columns, values, strict=True))
