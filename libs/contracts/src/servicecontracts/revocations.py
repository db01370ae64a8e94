"""The Redis keys of token revocations, which users writes and every service reads
(servicekit.security.revocation says how each side uses them).

- `auth:revocations`, a sorted set: member the user id, score the cutoff (Unix seconds):
  a token of that user issued before the cutoff is void;
- `auth:revocations:version`, a counter bumped with every write, so a refresh that
  finds it unchanged reads nothing more.
"""

REVOCATIONS_KEY = "auth:revocations"
REVOCATIONS_VERSION_KEY = "auth:revocations:version"
