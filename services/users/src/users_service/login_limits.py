"""How often a client may try to log in or register (docs/security.md, "What is limited,
revoked and refused").

- Login attempts per client address: counted before the password is checked, so a
  guesser pays for its 429s in nothing but a Redis round trip.
- Failed logins per account, from any address: checked before, counted after a wrong
  password. Parallel guesses at one account can pass the check together; the per-address
  limit bounds how many.
- Registrations per client address.

The client address is the one uvicorn reports: the peer, or the gateway's
X-Forwarded-For when the peer is a trusted proxy (FORWARDED_ALLOW_IPS).
"""

from fastapi import Request

from servicekit.security.rate_limits import RateLimiter, parse_limit
from users_service.settings import UsersSettings


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _address_key(action: str, address: str) -> str:
    return f"{action}:address:{address}"


def _account_key(email: str) -> str:
    return f"login:account:{email.lower()}"


class LoginLimits:
    def __init__(self, limiter: RateLimiter, settings: UsersSettings):
        self._limiter = limiter
        self._per_address = parse_limit(settings.login_attempts_per_address)
        self._failures = parse_limit(settings.login_failures_per_account)
        self._registrations = parse_limit(settings.registrations_per_address)

    async def before_login(self, address: str, email: str) -> None:
        await self._limiter.hit(self._per_address, _address_key("login", address), _TOO_MANY_LOGINS)
        await self._limiter.check(self._failures, _account_key(email), _LOCKED)

    async def after_failed_login(self, email: str) -> None:
        await self._limiter.hit(self._failures, _account_key(email), _LOCKED)

    async def before_registration(self, address: str) -> None:
        await self._limiter.hit(
            self._registrations, _address_key("register", address), _TOO_MANY_REGISTRATIONS
        )

    def before_login_sync(self, address: str, email: str) -> None:
        self._limiter.hit_sync(self._per_address, _address_key("login", address), _TOO_MANY_LOGINS)
        self._limiter.check_sync(self._failures, _account_key(email), _LOCKED)

    def after_failed_login_sync(self, email: str) -> None:
        self._limiter.hit_sync(self._failures, _account_key(email), _LOCKED)

    def before_registration_sync(self, address: str) -> None:
        self._limiter.hit_sync(
            self._registrations, _address_key("register", address), _TOO_MANY_REGISTRATIONS
        )


_TOO_MANY_LOGINS = "Too many login attempts from this address; try again later"
_LOCKED = "Too many failed logins for this account; try again later"
_TOO_MANY_REGISTRATIONS = "Too many registrations from this address; try again later"
