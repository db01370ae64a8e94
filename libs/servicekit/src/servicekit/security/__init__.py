"""Who may call, without a web framework: access tokens verified with the public key
(`tokens`), their revocation (`revocation`) and rate limits shared by every replica
(`rate_limits`). servicekit.web.auth is the FastAPI dependency that applies them.

Imports servicekit.core only.
"""
