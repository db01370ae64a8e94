"""`python -m servicekit.db.migrate`: a service's schema to head, from the service's own image
(the chart's migration Job) or checkout, in the directory that holds its alembic.ini.

1. With DATABASE_ADMIN_URL, the database and the login role that DATABASE_URL names are
   made first, or their password brought in line: the chart gives each service a role of
   its own on a shared server, and an operator's URL creates them.
2. It waits for the server, up to MIGRATE_WAIT_SECONDS: in a cluster the Job may start
   before the database does.
3. `alembic upgrade head` runs as DATABASE_URL's user.

A bad setting, an unreachable server or a failed migration ends it non-zero with one line.
"""

import contextlib
import sys
import time

import psycopg
import pymysql
from alembic import command
from alembic.config import Config
from psycopg import sql
from pydantic import PositiveFloat, SecretStr
from sqlalchemy import exc
from sqlalchemy.engine import URL, make_url

from servicekit.core.settings import DatabaseSettings, load_settings
from servicekit.db.engines import is_postgres


class MigrationSettings(DatabaseSettings):
    # A user that may create databases and roles on DATABASE_URL's server; without it
    # the database and its user must exist already (an operator made them).
    database_admin_url: SecretStr | None = None
    migrate_wait_seconds: PositiveFloat = 120.0
    alembic_ini: str = "alembic.ini"


class MigrationError(RuntimeError):
    pass


def _postgres(url: URL, database: str | None = None) -> psycopg.Connection:
    # TLS as the URL asks (an external server's ?sslmode=require); else libpq's default.
    sslmode = url.query.get("sslmode")
    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname=database or url.database or "postgres",
        connect_timeout=5,
        autocommit=True,  # CREATE DATABASE refuses to run inside a transaction
        sslmode=sslmode if isinstance(sslmode, str) else "prefer",
    )


def _mysql(url: URL) -> pymysql.Connection:
    return pymysql.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        connect_timeout=5,
        autocommit=True,
    )


def provision(admin_url: str, database_url: str) -> None:
    """Makes DATABASE_URL's database and login role through the admin URL; idempotent."""
    admin, target = make_url(admin_url), make_url(database_url)
    database = target.database
    if not database:
        raise MigrationError("DATABASE_URL names no database")
    separate_user = bool(target.username) and target.username != admin.username
    if is_postgres(database_url):
        _provision_postgres(admin, target, database, separate_user)
    else:
        _provision_mysql(admin, target, database, separate_user)


def _provision_postgres(admin: URL, target: URL, database: str, separate_user: bool) -> None:
    with _postgres(admin) as connection:
        owner = sql.Identifier(target.username or admin.username or "postgres")
        if separate_user:
            exists = connection.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (target.username,)
            ).fetchone()
            verb = "ALTER" if exists else "CREATE"
            connection.execute(
                sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                    owner, sql.Literal(target.password or "")
                )
            )
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not found:
            statement = sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0")
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # a concurrent Job
                connection.execute(statement.format(sql.Identifier(database), owner))


def _provision_mysql(admin: URL, target: URL, database: str, separate_user: bool) -> None:
    with contextlib.closing(_mysql(admin)) as connection, connection.cursor() as cursor:
        # A backtick-quoted name; provision's callers give plain names, refuse others.
        if "`" in database:
            raise MigrationError("DATABASE_URL's database name holds a backtick")
        cursor.execute(
            f"CREATE DATABASE IF NOT EXISTS `{database}` "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        if separate_user:
            account = (target.username, target.password or "")
            cursor.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", account)
            cursor.execute("ALTER USER %s@'%%' IDENTIFIED BY %s", account)
            cursor.execute(f"GRANT ALL PRIVILEGES ON `{database}`.* TO %s@'%%'", (target.username,))


# MySQL's answers to a login that will not succeed by waiting: access denied (1698 is
# MariaDB's for an unknown user when an anonymous or socket account shadows it), no such
# database. Postgres says FATAL for those, and also while it starts or stops.
_MYSQL_REFUSALS = {1044, 1045, 1049, 1698}
_POSTGRES_PASSING = ("starting up", "shutting down", "in recovery mode")


def _refused(error: Exception) -> bool:
    """Whether the server answered and turned the login down (waiting will not help)."""
    if isinstance(error, pymysql.err.OperationalError):
        return error.args[0] in _MYSQL_REFUSALS
    message = str(error)
    if "does not support SSL" in message:  # the URL asks for TLS this server lacks
        return True
    return "FATAL:" in message and not any(state in message for state in _POSTGRES_PASSING)


def wait_for_server(url: str, seconds: float) -> None:
    """Returns once the server takes a login; MigrationError after `seconds` without an
    answer, or at once when it turns the login down."""
    parsed = make_url(url)
    deadline = time.monotonic() + seconds
    delay = 0.5
    while True:
        try:
            if is_postgres(url):
                _postgres(parsed, parsed.database).close()
            else:
                _mysql(parsed).close()
            return
        except (psycopg.OperationalError, pymysql.err.OperationalError) as error:
            if _refused(error):
                who = f"{parsed.username}@{parsed.host}"
                raise MigrationError(f"the database refused {who}: {error}") from None
            if time.monotonic() + delay > deadline:
                where = f"{parsed.host}:{parsed.port or ''}"
                raise MigrationError(f"no database server answered at {where}: {error}") from None
            print(f"waiting for the database at {parsed.host}", file=sys.stderr)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def migrate(settings: MigrationSettings) -> None:
    if settings.database_admin_url is not None:
        admin_url = settings.database_admin_url.get_secret_value()
        wait_for_server(admin_url, settings.migrate_wait_seconds)
        provision(admin_url, settings.database_url)
    wait_for_server(settings.database_url, settings.migrate_wait_seconds)
    config = Config(settings.alembic_ini)
    config.attributes["database_url"] = settings.database_url
    command.upgrade(config, "head")


def main() -> int:
    settings = load_settings(MigrationSettings)
    try:
        migrate(settings)
    except (MigrationError, psycopg.Error, pymysql.err.Error, exc.SQLAlchemyError) as error:
        print(f"migration failed: {error}".splitlines()[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
