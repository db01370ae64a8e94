"""The nginx gateway: rendering its config template and running nginx in the foreground."""

import hashlib
import ipaddress
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Self

from devstack.api_site import write_site
from devstack.binaries import find_binary
from devstack.gateway_edge import EdgeSettings
from devstack.health import wait_until_ok
from devstack.layout import gateway_template
from devstack.ports import accepts_connections
from devstack.processes import spawn, tail, terminate
from devstack.servers import searchable_by_anyone

_PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
# A value is one nginx token: no blanks, quotes, braces or semicolons that could end the
# directive it sits in and start another.
_SAFE_VALUE = re.compile(r"[^\s;{}'\"#$\\]+")


class TemplateError(ValueError):
    pass


class GatewayError(RuntimeError):
    pass


def render(template: Path, values: Mapping[str, str]) -> str:
    """The template with every `${NAME}` replaced; fails if any has no value.

    Comment lines are left alone, so a commented-out block may name placeholders that
    only a later service will set (envsubst leaves them alone too).
    """
    missing: set[str] = set()

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            missing.add(name)
            return match.group(0)
        value = str(values[name])
        if not _SAFE_VALUE.fullmatch(value):
            raise TemplateError(f"{name}={value!r} is not a single nginx token")
        return value

    lines = [
        line if line.lstrip().startswith("#") else _PLACEHOLDER.sub(value_of, line)
        for line in Path(template).read_text().splitlines(keepends=True)
    ]
    if missing:
        raise TemplateError(f"{template}: no value for {', '.join(sorted(missing))}")
    return "".join(lines)


# The file the template includes for its `set_real_ip_from` lines, beside nginx.conf in
# the runtime dir; gateway/entrypoint.sh writes the same file in the image.
TRUSTED_PROXIES_FILE = "trusted-proxies.conf"
# Where `make run` and the gateway image read the trusted proxies from: addresses or
# CIDR ranges, separated by commas or blanks. Empty: no peer is believed.
TRUSTED_PROXIES_VARIABLE = "GATEWAY_TRUSTED_PROXIES"


def parse_trusted_proxies(text: str) -> list[str]:
    """ "10.0.0.0/8, 192.0.2.7" -> ["10.0.0.0/8", "192.0.2.7"]."""
    return [entry for entry in re.split(r"[\s,]+", text) if entry]


def trusted_proxies_config(proxies: Iterable[str]) -> str:
    """One `set_real_ip_from` line per address or range; refuses anything else, so a value
    can never smuggle another directive into the config."""
    lines = []
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise TemplateError(
                f"{TRUSTED_PROXIES_VARIABLE}: {proxy!r} is not an address or CIDR range"
            ) from None
        lines.append(f"set_real_ip_from {proxy};\n")
    return "".join(lines)


# The folder of /openapi.json and /docs (devstack.api_site); the image sets its own.
API_DOCS_VARIABLE = "GATEWAY_API_DOCS"
# As root, nginx's workers run as nobody and must reach the files they serve: with
# `relocate_private`, a runtime dir below a private folder (`make run` in a clone under
# /root) gets them here instead, one folder per runtime dir, linked from where they
# would have been (`make clean` follows the link).
RELOCATED_API_DOCS_PARENT = Path("/var/tmp")  # noqa: S108 - o+x, kept across reboots


def api_docs_dir(prefix_dir: Path, *, relocate_private: bool = False) -> Path:
    """Where the gateway of this runtime dir serves the API document and UI from."""
    wanted = prefix_dir / "api-docs"
    if not relocate_private or os.geteuid() != 0 or searchable_by_anyone(wanted):
        return wanted
    digest = hashlib.sha256(str(wanted).encode()).hexdigest()[:12]
    return RELOCATED_API_DOCS_PARENT / f"pyservices-api-docs-{digest}"


def upstream_variable(service: str) -> str:
    """The placeholder of a service's upstream address: users -> USERS_UPSTREAM."""
    return f"{service.upper()}_UPSTREAM"


class Gateway:
    """nginx in front of the services, with all its files under `prefix_dir`.

    `upstreams` maps service names to addresses: {"users": "127.0.0.1:8001"}.
    `trusted_proxies` are the peers (addresses or CIDR ranges) whose X-Forwarded-For
    names the client: an Ingress controller's or load balancer's. None by default.
    `edge` is what API consumers meet: CORS, per-client limits, compression.
    `relocate_private`: serve /openapi.json and /docs from /var/tmp when nginx's workers
    cannot reach `prefix_dir` (as root, below a private folder); `make run` asks for it.
    Not by default: the moved files outlive a throwaway runtime dir, and without it
    those two paths answer 403 there (the API routes work all the same).
    """

    def __init__(
        self,
        prefix_dir: Path,
        listen: str,
        upstreams: Mapping[str, str],
        template: Path | None = None,
        trusted_proxies: Iterable[str] = (),
        edge: EdgeSettings | None = None,
        relocate_private: bool = False,
    ):
        self.prefix_dir = Path(prefix_dir).absolute()
        self.listen = listen
        self.upstreams = dict(upstreams)
        self.trusted_proxies = list(trusted_proxies)
        self.edge = edge or EdgeSettings()
        self.template = template or gateway_template()
        self.api_docs_dir = api_docs_dir(self.prefix_dir, relocate_private=relocate_private)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.listen}"

    @property
    def pid(self) -> int | None:
        """nginx's master process, while it runs (its workers are its children)."""
        return self._process.pid if self._process is not None else None

    @property
    def config_path(self) -> Path:
        return self.prefix_dir / "nginx.conf"

    @property
    def log_path(self) -> Path:
        return self.prefix_dir / "gateway.log"

    @property
    def values(self) -> dict[str, str]:
        return {
            "GATEWAY_LISTEN": self.listen,
            "NGINX_RUNTIME_DIR": str(self.prefix_dir),
            API_DOCS_VARIABLE: str(self.api_docs_dir),
            **{upstream_variable(name): address for name, address in self.upstreams.items()},
            **self.edge.placeholders,
        }

    def command(self) -> list[str]:
        """nginx in the foreground, errors on stderr, access log lines on stdout."""
        return [
            find_binary("nginx"),
            *("-p", f"{self.prefix_dir}/", "-e", "stderr", "-c", str(self.config_path)),
            *("-g", "daemon off;"),
        ]

    def write(self) -> None:
        """nginx.conf and the files it includes, in `prefix_dir`, and the API document
        and UI it serves, in `api_docs_dir`."""
        self.prefix_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(render(self.template, self.values))
        trusted = trusted_proxies_config(self.trusted_proxies)
        (self.prefix_dir / TRUSTED_PROXIES_FILE).write_text(trusted)
        for name, content in self.edge.files.items():
            (self.prefix_dir / name).write_text(content)
        self._write_api_docs()

    def prepare(self) -> list[str]:
        """Writes and checks the config (`nginx -t`); returns the command that runs it."""
        self.write()
        command = self.command()
        test = [*command[:-2], "-q", "-t"]
        checked = subprocess.run(test, capture_output=True, text=True, check=False)  # noqa: S603
        if checked.returncode != 0:
            raise GatewayError(f"nginx rejected {self.config_path}:\n{checked.stderr.strip()}")
        return command

    def _write_api_docs(self) -> None:
        write_site(self.api_docs_dir)
        link = self.prefix_dir / "api-docs"
        if link == self.api_docs_dir:
            return
        if link.is_symlink():
            link.unlink()
        shutil.rmtree(link, ignore_errors=True)  # a copy of a run that could serve it there
        link.symlink_to(self.api_docs_dir, target_is_directory=True)

    def discard_moved_api_docs(self) -> None:
        """Removes the API docs moved out of a private runtime dir (`relocate_private`),
        and the link to them: the next start writes them again."""
        link = self.prefix_dir / "api-docs"
        if link == self.api_docs_dir:
            return
        shutil.rmtree(self.api_docs_dir, ignore_errors=True)
        if link.is_symlink():
            link.unlink()

    def start(self, timeout: float = 10.0) -> None:
        """Runs nginx as a child of this process, output in `log_path`."""
        command = self.prepare()
        host, _, port = self.listen.rpartition(":")
        if accepts_connections(host or "127.0.0.1", int(port), timeout=0.2):
            raise GatewayError(f"cannot start the gateway: {self.listen} is already in use")
        self._process = spawn(command, log=self.log_path, cwd=self.prefix_dir)
        process = self._process
        if not wait_until_ok(f"{self.url}/healthz", timeout, lambda: process.poll() is None):
            self.stop()
            raise GatewayError(
                f"the gateway did not come up on {self.listen}; "
                f"last lines of {self.log_path}:\n{tail(self.log_path)}"
            )

    def stop(self) -> None:
        # SIGTERM is nginx's fast shutdown; a graceful one (SIGQUIT) waits for clients.
        if self._process is not None:
            terminate(self._process, grace=10)
            self._process = None
        self.discard_moved_api_docs()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
