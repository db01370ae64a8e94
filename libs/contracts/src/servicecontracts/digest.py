"""The bounds of a `compute.digest` job: tasks refuses a submission beyond them, and the
worker refuses a message beyond them (anything that can write to the broker can send
one)."""

MAX_DATA_CHARS = 10_000
MAX_ROUNDS = 1_000_000
