"""`NamedSQL`: a service's `.sql` files as queries in the form of each driver, a dialect's
own file where its SQL differs, and the refusals that keep named SQL to reads."""

from pathlib import Path

import pytest

from servicekit.queries.named_sql import NamedSQL, Shape

SQL = Path(__file__).parent / "sql"


@pytest.fixture(scope="module")
def things() -> NamedSQL:
    return NamedSQL.load(SQL / "dialects", "things")


def test_the_suffix_says_what_a_query_answers(things: NamedSQL) -> None:
    assert things.thing.shape is Shape.ROW
    assert things.things_after.shape is Shape.ROWS
    assert things.counted.shape is Shape.VALUE
    assert things.names == {"thing", "things_after", "counted", "labels"}


def test_each_driver_gets_its_parameter_style(things: NamedSQL) -> None:
    statements = things.things_after.statements
    # asyncpg numbers each name once; asyncmy repeats a marker, and its order, per use.
    assert "id > $1 AND (id, label) > ($1, $2) LIMIT $3" in statements["asyncpg"].sql
    assert statements["asyncpg"].order == ("after_id", "after_label", "limit")
    assert "id > %s AND (id, label) > (%s, %s) LIMIT %s" in statements["asyncmy"].sql
    assert statements["asyncmy"].order == ("after_id", "after_id", "after_label", "limit")
    for driver in ("psycopg", "pymysql"):
        assert "(%(after_id)s, %(after_label)s)" in statements[driver].sql
        assert statements[driver].order is None
    # MariaDB prepares one statement, not a script: no final semicolon.
    assert not any(statement.sql.endswith(";") for statement in statements.values())


def test_a_literal_percent_sign_survives_asyncmys_formatting(tmp_path: Path) -> None:
    (tmp_path / "odd.sql").write_text("-- name: odd(x)$\nSELECT '100%' || :x;\n")
    assert NamedSQL.load(tmp_path, "odd").odd.statements["asyncmy"].sql == "SELECT '100%%' || %s"


def test_a_dialects_file_replaces_the_common_query_on_that_dialect_only(
    things: NamedSQL,
) -> None:
    counted = things.counted.statements
    assert counted["asyncpg"].sql == counted["psycopg"].sql == "SELECT COUNT(*)::int FROM things"
    assert counted["asyncmy"].sql == counted["pymysql"].sql == "SELECT COUNT(*) FROM things"


def test_an_unknown_query_names_the_file(things: NamedSQL) -> None:
    with pytest.raises(AttributeError, match=r"dialects/things has no query 'thnig'"):
        _ = things.thnig


@pytest.mark.parametrize(
    ("files", "refusal"),
    [
        ({"q.postgresql.sql": "-- name: only_here()\nSELECT 1;\n"}, "no q.sql or q.mysql.sql"),
        (
            {"q.sql": "-- name: a()\nSELECT 1;\n", "q.mysql.sql": "-- name: b()\nSELECT 2;\n"},
            "on one dialect only: b",
        ),
        (
            {"q.sql": "-- name: a(x)\nSELECT :x;\n", "q.mysql.sql": "-- name: a(y)\nSELECT :y;\n"},
            "a differs in shape or parameters",
        ),
        (
            {"q.sql": "-- name: a()\nSELECT 1;\n", "q.mysql.sql": "-- name: a()^\nSELECT 1;\n"},
            "a differs in shape or parameters",
        ),
        ({"q.sql": "-- name: wipe()!\nDELETE FROM things;\n"}, "writes stay with the ORM"),
    ],
)
def test_what_cannot_serve_both_dialects_or_is_a_write_is_refused(
    tmp_path: Path, files: dict[str, str], refusal: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises((ValueError, FileNotFoundError), match=refusal):
        NamedSQL.load(tmp_path, "q")
