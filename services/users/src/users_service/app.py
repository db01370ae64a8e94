"""The users application, built from settings (tests build it with their own)."""

from pathlib import Path

from fastapi import FastAPI

from servicekit.app import create_app
from servicekit.rate_limits import RateLimiter
from users_service import endpoints
from users_service.hashing import HashingGate
from users_service.login_limits import LoginLimits
from users_service.security import TokenIssuer
from users_service.settings import UsersSettings

# services/users/alembic.ini: the migrations /readyz waits for.
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def create_users_app(settings: UsersSettings) -> FastAPI:
    def resources(settings: UsersSettings, _metrics: object) -> dict[str, object]:
        issuer = TokenIssuer(
            settings.jwt_private_key.get_secret_value(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.access_token_ttl_seconds,
        )
        return {
            "token_issuer": issuer,
            "login_limits": LoginLimits(RateLimiter(settings), settings),
            "hashing": HashingGate(
                settings.hashing_concurrency,
                settings.hashing_wait_seconds,
                # Three quarters of the sync pool stay free for everything else.
                max_waiting_threads=max(1, settings.sync_threads // 4),
            ),
        }

    return create_app(
        settings,
        endpoints.api.routers,
        title="users",
        resources=resources,
        migrations=ALEMBIC_INI,
    )
