"""The long-lived objects users holds besides servicekit's: made once at start-up."""

from dataclasses import dataclass

from servicekit.security.rate_limits import RateLimiter
from users_service.hashing import HashingGate
from users_service.login_limits import LoginLimits
from users_service.security import TokenIssuer
from users_service.settings import UsersSettings


@dataclass(slots=True)
class UsersResources:
    token_issuer: TokenIssuer
    login_limits: LoginLimits
    hashing: HashingGate


def open_resources(settings: UsersSettings, _metrics: object) -> UsersResources:
    issuer = TokenIssuer(
        settings.jwt_private_key.get_secret_value(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=settings.access_token_ttl_seconds,
    )
    hashing = HashingGate(
        settings.hashing_concurrency,
        settings.hashing_wait_seconds,
        # Three quarters of the sync pool stay free for everything else.
        max_waiting_threads=max(1, settings.sync_threads // 4),
    )
    return UsersResources(issuer, LoginLimits(RateLimiter(settings), settings), hashing)
