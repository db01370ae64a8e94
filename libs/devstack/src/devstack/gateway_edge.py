"""What the gateway does for its API consumers, from the environment: CORS, per-client
request limits and compression (docs/api.md, "Gateway settings").

Two kinds of values come out: placeholders of the template (single nginx tokens, checked
here, since nginx would take any text as a header value) and files the template includes
beside nginx.conf (lists that are no single token). gateway/entrypoint.sh does the same
for the image and the chart, with the same patterns; a test holds the two to the same
output, refusals included.
"""

import dataclasses
import re
from collections.abc import Mapping
from typing import Self

CORS_ORIGINS = "GATEWAY_CORS_ORIGINS"
CORS_METHODS = "GATEWAY_CORS_METHODS"
CORS_HEADERS = "GATEWAY_CORS_HEADERS"
CORS_MAX_AGE = "GATEWAY_CORS_MAX_AGE"
READ_RATE = "GATEWAY_READ_RATE"
READ_BURST = "GATEWAY_READ_BURST"
WRITE_RATE = "GATEWAY_WRITE_RATE"
WRITE_BURST = "GATEWAY_WRITE_BURST"
GZIP_MIN_BYTES = "GATEWAY_GZIP_MIN_BYTES"
GZIP_LEVEL = "GATEWAY_GZIP_LEVEL"

# The defaults of `make run`, the image (gateway/entrypoint.sh) and the chart (values.yaml):
# no origin allowed, no limit, gzip at its cheapest level above 1 KiB.
DEFAULTS = {
    CORS_ORIGINS: "",
    CORS_METHODS: "GET,HEAD,POST,PUT,PATCH,DELETE",
    CORS_HEADERS: "Authorization,Content-Type,X-Request-ID",
    CORS_MAX_AGE: "600",
    READ_RATE: "0",
    READ_BURST: "50",
    WRITE_RATE: "0",
    WRITE_BURST: "20",
    GZIP_MIN_BYTES: "1024",
    GZIP_LEVEL: "1",
}
# Read by the renderers into the files below rather than placed into the template.
FILE_SETTINGS = (CORS_ORIGINS, READ_RATE, READ_BURST, WRITE_RATE, WRITE_BURST)

# Files the template includes from the runtime dir (the entrypoint writes the same).
CORS_ORIGINS_FILE = "cors-origins.conf"
CLIENT_LIMITS_FILE = "client-limits.conf"

# An origin as browsers send it: scheme, host, optional port; no path, no slash at the
# end (a browser never sends one, so such an entry would match nothing).
ORIGIN = r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?"
ANY_ORIGIN = "*"
_PATTERNS = {
    CORS_METHODS: (r"[A-Z]+(,[A-Z]+)*", "HTTP methods"),
    CORS_HEADERS: (r"[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*", "header names"),
    CORS_MAX_AGE: (r"0|[1-9][0-9]{0,4}", "a number of seconds up to 99999"),
    READ_RATE: (r"0|[1-9][0-9]{0,5}", "requests per second, 0 for no limit"),
    READ_BURST: (r"0|[1-9][0-9]{0,5}", "a number of requests"),
    WRITE_RATE: (r"0|[1-9][0-9]{0,5}", "requests per second, 0 for no limit"),
    WRITE_BURST: (r"0|[1-9][0-9]{0,5}", "a number of requests"),
    GZIP_MIN_BYTES: (r"0|[1-9][0-9]{0,8}", "a number of bytes"),
    GZIP_LEVEL: (r"[1-9]", "a gzip level from 1 to 9"),
}


class EdgeSettingError(ValueError):
    """One line naming the variable and what it must be."""


def _list(value: str) -> str:
    """ "GET, POST" -> "GET,POST": commas or blanks between entries, one token out."""
    return ",".join(entry for entry in re.split(r"[\s,]+", value) if entry)


def _checked(name: str, value: str) -> str:
    pattern, meaning = _PATTERNS[name]
    if not re.fullmatch(pattern, value):
        raise EdgeSettingError(f"{name}: {value!r} is not {meaning}")
    return value


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(entry for entry in re.split(r"[\s,]+", value) if entry)
    if ANY_ORIGIN in origins and len(origins) > 1:
        raise EdgeSettingError(f"{CORS_ORIGINS}: * (any origin) stands alone")
    for origin in origins:
        if origin != ANY_ORIGIN and not re.fullmatch(ORIGIN, origin):
            raise EdgeSettingError(
                f"{CORS_ORIGINS}: {origin!r} is not an origin (scheme://host[:port], "
                "no path, or * alone)"
            )
    return origins


@dataclasses.dataclass(frozen=True)
class ClientLimit:
    """A budget per client address: `rate` requests per second, `burst` more at once."""

    rate: int
    burst: int

    def config(self, kind: str) -> str:
        if self.rate == 0:
            return ""
        # nodelay: a request within the burst is served at once, one beyond is a 429
        # (never queued: a client waiting on its own budget holds a connection). nginx
        # refuses burst=0, its default.
        burst = f" burst={self.burst}" if self.burst else ""
        return (
            f"limit_req_zone $gateway_{kind}_client zone=gateway_{kind}s:10m "
            f"rate={self.rate}r/s;\n"
            f"limit_req zone=gateway_{kind}s{burst} nodelay;\n"
        )


@dataclasses.dataclass(frozen=True)
class EdgeSettings:
    cors_origins: tuple[str, ...] = ()
    cors_methods: str = DEFAULTS[CORS_METHODS]
    cors_headers: str = DEFAULTS[CORS_HEADERS]
    cors_max_age: str = DEFAULTS[CORS_MAX_AGE]
    reads: ClientLimit = ClientLimit(int(DEFAULTS[READ_RATE]), int(DEFAULTS[READ_BURST]))
    writes: ClientLimit = ClientLimit(int(DEFAULTS[WRITE_RATE]), int(DEFAULTS[WRITE_BURST]))
    gzip_min_bytes: str = DEFAULTS[GZIP_MIN_BYTES]
    gzip_level: str = DEFAULTS[GZIP_LEVEL]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        """The settings of `environ`, each missing or empty one at its default; raises
        EdgeSettingError on the first value that is none of what it may be."""

        def value(name: str) -> str:
            given = _list(environ.get(name, ""))
            return _checked(name, given or DEFAULTS[name])

        return cls(
            cors_origins=_origins(environ.get(CORS_ORIGINS, "")),
            cors_methods=value(CORS_METHODS),
            cors_headers=value(CORS_HEADERS),
            cors_max_age=value(CORS_MAX_AGE),
            reads=ClientLimit(int(value(READ_RATE)), int(value(READ_BURST))),
            writes=ClientLimit(int(value(WRITE_RATE)), int(value(WRITE_BURST))),
            gzip_min_bytes=value(GZIP_MIN_BYTES),
            gzip_level=value(GZIP_LEVEL),
        )

    @property
    def placeholders(self) -> dict[str, str]:
        return {
            CORS_METHODS: self.cors_methods,
            CORS_HEADERS: self.cors_headers,
            CORS_MAX_AGE: self.cors_max_age,
            GZIP_MIN_BYTES: self.gzip_min_bytes,
            GZIP_LEVEL: self.gzip_level,
        }

    @property
    def files(self) -> dict[str, str]:
        """File name -> content, written beside nginx.conf."""
        if self.cors_origins == (ANY_ORIGIN,):
            # Never with Access-Control-Allow-Credentials, which the gateway never sends:
            # tokens travel in Authorization, which a page sets itself.
            origins = 'default "*";\n'
        else:
            origins = "".join(f'"{origin}" $http_origin;\n' for origin in self.cors_origins)
        return {
            CORS_ORIGINS_FILE: origins,
            CLIENT_LIMITS_FILE: self.reads.config("read") + self.writes.config("write"),
        }
