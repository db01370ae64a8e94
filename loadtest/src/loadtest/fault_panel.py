"""`/faults` in Locust's web UI: each service's fault, set and switched off from the page.

A service's fault is a `servicecontracts.faults.Fault` held in Redis under `fault_key`;
services started with FAULTS_ENABLED=true read it every second, so what this page writes
shows up in the statistics table a second later without restarting anything. A form's
values are checked with `Fault` first: a bad value is refused with the reason and
nothing is written. An all-zero fault deletes the key, as Off does (absent = off).

The page is plain HTML forms served by Locust's own Flask app (its tabs are React
tables that take no input), linked from the top of Locust's page. `--fault-redis` is
the services' Redis (default: REDIS_URL, else the local one).
"""

import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

import redis
from flask import Response, redirect, request
from jinja2 import Environment as Templates
from jinja2 import PackageLoader
from locust import events
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from pydantic import ValidationError

from loadtest.listeners import listener
from servicecontracts.faults import Fault, fault_key

# The services that honour a fault (services/*, the HTTP ones).
SERVICES = ("users", "items", "tasks")
FIELDS = tuple(Fault.model_fields)
REDIS_TIMEOUT_SECONDS = 2

View = TypeVar("View", bound=Callable[..., Response])

_templates = Templates(loader=PackageLoader("loadtest"), autoescape=True)


@listener(events.init_command_line_parser)
def add_options(parser: LocustArgumentParser) -> None:
    parser.add_argument(
        "--fault-redis",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        include_in_web_ui=False,
        help="the services' Redis, where the fault panel (/faults) writes (default: REDIS_URL)",
    )


class FaultSwitch:
    """Reads and writes the faults of `SERVICES` in one Redis."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.redis = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            decode_responses=True,
        )

    def current(self) -> dict[str, Fault | None]:
        """Each service's fault; None when it is off."""
        stored = self.redis.mget([fault_key(service) for service in SERVICES])
        return {
            service: Fault.model_validate_json(text) if text else None
            for service, text in zip(SERVICES, stored, strict=True)
        }

    def set(self, service: str, fault: Fault) -> None:
        if fault.active:
            self.redis.set(fault_key(service), fault.model_dump_json())
        else:
            self.off(service)

    def off(self, service: str) -> None:
        self.redis.delete(fault_key(service))


def fault_from_form(form: dict[str, str]) -> Fault:
    """A blank field is 0; anything else is `Fault`'s to accept or refuse."""
    return Fault.model_validate({name: form[name] for name in FIELDS if form.get(name, "").strip()})


def refusal(error: ValidationError) -> str:
    """Each problem as its field and pydantic's reason:
    `error_rate: Input should be less than or equal to 1`."""
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors()
    )


@listener(events.init)
def _add_the_page(environment: Environment, **_kwargs: Any) -> None:
    web_ui = environment.web_ui
    if web_ui is None or web_ui.app is None or environment.parsed_options is None:
        return  # headless: no page to add
    switch = FaultSwitch(environment.parsed_options.fault_redis)
    app = web_ui.app

    def page(message: str = "", refused_in: str = "", status: int = 200) -> Response:
        """`refused_in`: the service whose form was refused; its row keeps what was typed."""
        try:
            faults: dict[str, Fault | None] | None = switch.current()
            unreachable = ""
        except redis.RedisError as error:
            faults, unreachable = None, f"Redis at {switch.url} did not answer: {error}"
        html = _templates.get_template("faults.html").render(
            services=SERVICES,
            faults=faults,
            fields=FIELDS,
            form=request.form,
            message=message,
            refused_in=refused_in,
            unreachable=unreachable,
            redis_url=switch.url,
        )
        return Response(html, status=status, mimetype="text/html")

    # One address for the page and its forms, so every relative link on it holds
    # whether it answers a GET, a refused POST or a redirect.
    # WebUI.auth_required_if_enabled is unannotated; it wraps a view and keeps its signature.
    auth_required = cast("Callable[[View], View]", web_ui.auth_required_if_enabled)

    @app.route("/faults", methods=["GET", "POST"])
    @auth_required
    def faults() -> Response:
        if request.method == "GET":
            changed = request.args.get("changed", "")
            return page(f"{changed}: saved" if changed in SERVICES else "")
        service = request.form.get("service", "")
        if service not in SERVICES:
            return page(f"no service {service!r}; one of {', '.join(SERVICES)}", service, 404)
        try:
            if request.form.get("action") == "off":
                switch.off(service)
            else:
                switch.set(service, fault_from_form(request.form))
        except ValidationError as error:
            return page(f"{service}: not set, nothing written. {refusal(error)}", service, 400)
        except redis.RedisError as error:
            return page(f"{service}: not written, Redis did not answer: {error}", service, 503)
        # After a POST, a redirect: reloading the page then does not post the form again.
        return redirect(f"faults?changed={service}", code=303)  # type: ignore[return-value]

    @app.after_request
    def link_from_locusts_page(response: Response) -> Response:
        """Locust's own page gets a link to this one (its React app has no menu hook)."""
        if request.endpoint == "locust.index" and response.mimetype == "text/html":
            body = response.get_data(as_text=True)
            response.set_data(body.replace("</body>", f"{FAULTS_LINK}</body>", 1))
        return response


FAULTS_LINK = (
    '<a id="fault-panel-link" href="./faults" style="position:fixed;bottom:12px;right:16px;'
    "z-index:2000;padding:6px 12px;border-radius:4px;background:#1976d2;color:#fff;"
    'font:14px sans-serif;text-decoration:none">Fault switch</a>'
)
