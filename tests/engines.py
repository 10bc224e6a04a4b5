"""Real engines for the scale-out tests: a throwaway PostgreSQL server, Spark in local mode, DuckDB.

PostgreSQL comes from Debian's ``postgresql`` package and Spark from PyPI's ``pyspark`` with
Debian's OpenJDK; ``.ci/run`` installs them when missing. Without them the tests are skipped on a
developer machine and fail on CI, like the browser tests.

Each engine is given the same typed table (text segments and flags, real dates) by ``load``.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import narwhals as nw
import polars as pl
import pytest
from conftest import unavailable
from serving import free_port

from conversion import sources

if TYPE_CHECKING:
    from collections.abc import Iterator


def postgres_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class Postgres:
    """A PostgreSQL server of the test session's own, on a free port, with trust auth."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_port()
        self.data = root / "data"
        self.user = "postgres"
        self.address = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"
        as_root = os.geteuid() == 0
        self.prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        if not as_root:
            self.user = os.environ.get("USER", "postgres")
            self.address = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def run(self, *command: str) -> None:
        subprocess.run([*self.prefix, *command], check=True, capture_output=True, text=True)

    def start(self) -> None:
        if self.prefix:
            shutil.chown(self.root, "postgres")
        initdb, pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
        assert initdb and pg_ctl
        self.run(initdb, "-D", str(self.data), "-A", "trust", "-U", self.user,
                 "--locale=C.UTF-8", "--encoding=UTF8")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c shared_preload_libraries=pg_stat_statements -c fsync=off"
        )
        self.run(pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                 "-w", "start")  # fmt: skip
        self.sql("create extension if not exists pg_stat_statements")

    def restart(self) -> None:
        """Stop the server and start it again (every open connection is cut)."""
        pg_ctl = postgres_bin("pg_ctl")
        assert pg_ctl
        # With its log file again: a server left writing to this process's pipe never lets
        # the call return.
        self.run(pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"), "-m", "fast", "-w",
                 "restart")  # fmt: skip

    def stop(self) -> None:
        pg_ctl = postgres_bin("pg_ctl")
        if pg_ctl and self.data.exists():
            subprocess.run([*self.prefix, pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
                           capture_output=True, check=False)  # fmt: skip

    def connect(self):  # a psycopg connection, autocommit
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        )

    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        with self.connect() as connection:
            cursor = connection.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    missing = [n for n in ("initdb", "pg_ctl") if postgres_bin(n) is None]
    if missing or importlib.util.find_spec("ibis") is None:
        unavailable("PostgreSQL tests need Debian's postgresql package and ibis-framework")
    # Outside pytest's own temporary folder, which only root may enter.
    root = Path(tempfile.mkdtemp(prefix="cbs-postgres-"))
    root.chmod(0o755)
    server = Postgres(root)
    try:
        server.start()
    except subprocess.CalledProcessError as error:
        unavailable(f"could not start PostgreSQL: {error.stderr or error}")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
        unavailable("Spark tests need PyPI's pyspark and a Java runtime (Debian's OpenJDK)")
    os.environ.setdefault("PYSPARK_PYTHON", shutil.which("python3") or "python3")
    session = sources.spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def load(kind: str, frame: pl.DataFrame, name: str, *, postgres: Postgres | None = None,
         spark: object = None) -> sources.Remote:  # fmt: skip
    """Put a typed polars table on an engine and open it there as a Remote."""
    if kind == "duckdb":
        connection = _duckdb()
        connection.register(name, frame.to_arrow())
        return sources.Remote(nw.from_native(connection.table(name)), "duckdb", name)
    if kind == "postgresql":
        assert postgres is not None
        write_postgres(postgres, frame, name)
        return sources.open_remote(postgres.address, table=name)
    if kind == "spark":
        assert spark is not None
        native = spark.createDataFrame(frame.rows(), schema=spark_schema(frame))  # type: ignore[attr-defined]
        return sources.Remote(nw.from_native(native), "spark", name)
    raise ValueError(kind)


_DUCKDB: list = []


def _duckdb():
    """One in-memory DuckDB for the test session, so its tables can be joined."""
    import duckdb

    if not _DUCKDB:
        _DUCKDB.append(duckdb.connect())
    return _DUCKDB[0]


def write_postgres(server: Postgres, frame: pl.DataFrame, name: str) -> None:
    types = {pl.String: "text", pl.Date: "date", pl.Boolean: "boolean", pl.Int64: "bigint",
             pl.Float64: "double precision", pl.Datetime: "timestamp"}  # fmt: skip
    columns = ", ".join(
        f'"{c}" {types.get(t.base_type(), "text")}' for c, t in frame.schema.items()
    )
    with server.connect() as connection:
        connection.execute(f'drop table if exists "{name}"')
        connection.execute(f'create table "{name}" ({columns})')
        quoted = ", ".join(f'"{c}"' for c in frame.columns)
        with connection.cursor().copy(f'copy "{name}" ({quoted}) from stdin') as copy:
            for row in frame.iter_rows():
                copy.write_row(row)
        connection.execute(f'analyze "{name}"')


def spark_schema(frame: pl.DataFrame):
    from pyspark.sql import types as T

    kinds = {pl.String: T.StringType(), pl.Date: T.DateType(), pl.Boolean: T.BooleanType(),
             pl.Int64: T.LongType(), pl.Float64: T.DoubleType(),
             pl.Datetime: T.TimestampType()}  # fmt: skip
    return T.StructType(
        [
            T.StructField(c, kinds.get(t.base_type(), T.StringType()), True)
            for c, t in frame.schema.items()
        ]
    )
