"""A service's database: the engines of one URL in both modes (`engines`), their pools
(`pools`), deadlines (`deadlines`, `psycopg_deadlines`) and MySQL sessions
(`mysql_sessions`); the models' shared column types (`models`); and its schema: the
alembic env.py body (`alembic_env`), the migration command (`migrate`) and the check of
the database's revision against the code's (`revisions`).

Imports servicekit.core only, and no web framework.
"""
