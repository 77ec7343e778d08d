"""Which database errors pass (retry) and which do not (tell the DPO at once), in words.

A database's own message may quote the data (``Key (email)=(erika@…) already exists``), so it
is never kept: the words here come from the error's code, and name only the table and the
declared columns the message mentions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import exc as sa_exc

# PostgreSQL SQLSTATE classes and codes that pass: connection, resources, shutdown, locks.
_PG_TRANSIENT_CLASSES = {"08", "53", "57", "58"}
_PG_TRANSIENT = {"40001", "40P01", "55P03"}
# MariaDB/MySQL: lost or refused connections, too many connections, lock wait, deadlock.
_MYSQL_TRANSIENT = {1040, 1053, 1205, 1213, 1317, 2002, 2003, 2006, 2013, 2055}
_SQLITE_TRANSIENT = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_CANTOPEN")

_PG_WORDS = {
    "23502": "a NOT NULL column would be empty",
    "23503": "a foreign key would break (another table still refers to these rows)",
    "23505": "a unique column would hold a value twice",
    "23514": "a check constraint would be violated",
    "42703": "a column does not exist",
    "42P01": "a table does not exist",
    "42501": "the database user may not do this",
    "42804": "a value has the wrong type for its column",
    "22001": "a value is longer than its column allows",
}
_PG_CLASS_WORDS = {
    "22": "a value does not fit its column's type",
    "23": "a constraint would be violated",
    "42": "the statement does not fit the table (a column or a type differs)",
}
_MYSQL_WORDS = {
    1048: "a NOT NULL column would be empty",
    1054: "a column does not exist",
    1146: "a table does not exist",
    1142: "the database user may not do this",
    1406: "a value is longer than its column allows",
    1366: "a value has the wrong type for its column",
    1264: "a value is out of its column's range",
    1451: "a foreign key would break (another table still refers to these rows)",
    1452: "a foreign key would break",
    1062: "a unique column would hold a value twice",
    1093: "the table cannot be changed while it is read in the same statement",
}
_SQLITE_WORDS = {
    "SQLITE_CONSTRAINT_NOTNULL": "a NOT NULL column would be empty",
    "SQLITE_CONSTRAINT_FOREIGNKEY": "a foreign key would break",
    "SQLITE_CONSTRAINT_UNIQUE": "a unique column would hold a value twice",
    "SQLITE_CONSTRAINT_PRIMARYKEY": "a primary key would hold a value twice",
    "SQLITE_CONSTRAINT_CHECK": "a check constraint would be violated",
    "SQLITE_MISMATCH": "a value has the wrong type for its column",
    "SQLITE_READONLY": "the database is read-only",
}


def is_transient(error: BaseException) -> bool:
    """Whether trying again later can succeed (the store is away or busy)."""
    if isinstance(error, OSError | TimeoutError | sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    if isinstance(error, sa_exc.InterfaceError):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(sqlstate, str):
        return sqlstate[:2] in _PG_TRANSIENT_CLASSES or sqlstate in _PG_TRANSIENT
    code = _mysql_code(orig)
    if code is not None:
        return code in _MYSQL_TRANSIENT or code >= 2000  # 2xxx: client-side connection errors
    name = getattr(orig, "sqlite_errorname", "")
    if name:
        return str(name).startswith(_SQLITE_TRANSIENT)
    return isinstance(error, sa_exc.OperationalError)


def describe(error: BaseException, table: str, columns: Iterable[str], primary: set[str]) -> str:
    """The cause in words, naming ``table`` and those of ``columns`` the database's message
    names (never a value): "column visit.email is part of the primary key and cannot be NULL".
    """
    orig = getattr(error, "orig", None)
    message = str(orig if orig is not None else error)
    named = [c for c in dict.fromkeys(columns) if re.search(rf"\b{re.escape(c)}\b", message)]
    cause = getattr(orig, "__cause__", None)
    column_attr = getattr(cause, "column_name", None)  # asyncpg names it for NOT NULL
    if isinstance(column_attr, str) and column_attr in columns:
        named = [column_attr]
    words = _words(orig) or type(error).__name__
    if "NOT NULL" in words and named:
        column = named[0]
        if column in primary:
            return f"column {table}.{column} is part of the primary key and cannot be NULL"
        return f"column {table}.{column} is NOT NULL and cannot be emptied"
    where = f"table {table}" + (f", column {', '.join(named)}" if named else "")
    return f"{where}: {words} ({type(orig or error).__name__})"


def _words(orig: object) -> str:
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(sqlstate, str):
        return _PG_WORDS.get(sqlstate) or _PG_CLASS_WORDS.get(sqlstate[:2], "")
    code = _mysql_code(orig)
    if code is not None:
        return _MYSQL_WORDS.get(code, "")
    name = str(getattr(orig, "sqlite_errorname", ""))
    if name in _SQLITE_WORDS:
        return _SQLITE_WORDS[name]
    text = str(orig)
    if text.startswith("no such column"):
        return "a column does not exist"
    if text.startswith("no such table"):
        return "a table does not exist"
    return ""


def _mysql_code(orig: object) -> int | None:
    args = getattr(orig, "args", ())
    if type(orig).__module__.startswith(("pymysql", "aiomysql")) and args:
        return args[0] if isinstance(args[0], int) else None
    return None
