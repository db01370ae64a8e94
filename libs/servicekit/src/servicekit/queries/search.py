"""Prefix search with LIKE, the same on Postgres and MySQL."""

# '/' rather than '\': backslash is itself an escape character in MySQL string literals.
LIKE_ESCAPE = "/"


def like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with `text`, its wildcards taken literally."""
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return escaped + "%"
