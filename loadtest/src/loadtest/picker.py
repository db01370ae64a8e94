"""The web UI's class picker starts with one scenario ticked, not all of them.

Locust ticks every class it offers, so pressing Start with the defaults would run all
four scenarios with the users split between them, which compares nothing. Its page
lists the classes from the `users` template argument and ticks those of
`available_user_classes`; narrowing the latter to the default keeps every scenario on
the list, one ticked. The classes named on the command line are the default
(`locust ... --class-picker ItemsMixed`), else `DEFAULT_SCENARIO`; after a start, the
ones that ran.
"""

from typing import Any

from locust import events
from locust.env import Environment

from loadtest.listeners import listener

DEFAULT_SCENARIO = "UsersRead"


@listener(events.init)
def _tick_the_default_only(environment: Environment, **_kwargs: Any) -> None:
    web_ui = environment.web_ui
    if web_ui is None or not web_ui.userclass_picker_is_active:
        return
    update_template_args = web_ui.update_template_args

    def with_the_default_ticked() -> None:
        update_template_args()  # type: ignore[no-untyped-call]  # unannotated upstream
        web_ui.template_args["available_user_classes"] = preselected(environment)

    # Locust recomputes its template arguments each time it renders the page.
    web_ui.update_template_args = with_the_default_ticked  # type: ignore[method-assign]


def preselected(environment: Environment) -> list[str]:
    options = environment.parsed_options
    named = list(getattr(options, "user_classes", None) or [])
    offered = environment.available_user_classes or {}
    return sorted(name for name in named if name in offered) or [DEFAULT_SCENARIO]
