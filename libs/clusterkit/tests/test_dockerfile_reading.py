"""clusterkit.dockerfiles reads a Dockerfile as a builder does: build arguments expanded
only where a builder expands them and only in the stages that declare them."""

from pathlib import Path

import pytest

from clusterkit import dockerfiles

TWO_PARTS = """\
FROM python:3.11-slim AS builder
WORKDIR /app
COPY pyproject.toml uv.lock ./

FROM builder AS part-builder
ARG PART
RUN echo "$PART" \\
 && echo ${PART}
COPY parts/${PART} parts/$PART

FROM python:3.11-slim AS runtime
ENV HOME=/tmp

FROM runtime AS part
ARG PART
COPY --from=part-builder /app /app
COPY --chmod=0755 entry.sh /usr/local/bin/
ENV APP=${PART}.main:app MODE="a b"
CMD ["serve", "--port", \\
     "8000"]

FROM part AS dev
ENV MODE=dev

FROM runtime AS unrelated
COPY parts/$PART /elsewhere
"""


@pytest.fixture
def dockerfile(tmp_path: Path) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_text(TWO_PARTS)
    return path


def test_build_arguments_expand_where_declared_and_a_builder_expands_them(dockerfile: Path) -> None:
    by_name = {stage.name: stage for stage in dockerfiles.stages(dockerfile, {"PART": "users"})}

    builder = by_name["part-builder"]
    assert builder.values("COPY") == ["parts/users parts/users"]
    assert builder.values("RUN") == ['echo "$PART"  && echo ${PART}']  # the shell's to expand
    assert by_name["unrelated"].values("COPY") == ["parts/$PART /elsewhere"]  # not declared


def test_an_argument_declared_without_a_value_expands_to_nothing(dockerfile: Path) -> None:
    assert "parts/ parts/" in dockerfiles.stages(dockerfile)[1].values("COPY")


def test_a_target_runs_the_command_and_environment_of_the_stages_it_starts_from(
    dockerfile: Path,
) -> None:
    args = {"PART": "items"}

    assert dockerfiles.command(dockerfile, "dev", args) == ["serve", "--port", "8000"]
    assert dockerfiles.environment(dockerfile, "dev", args) == {
        "HOME": "/tmp",
        "APP": "items.main:app",
        "MODE": "dev",
    }
    assert [s.name for s in dockerfiles.target_chain(dockerfile, "dev")] == [
        "runtime",
        "part",
        "dev",
    ]
    assert dockerfiles.target_chain(dockerfile)[-1].name == "unrelated"


def test_what_the_file_copies_from_the_context_in_any_stage(dockerfile: Path) -> None:
    sources = dockerfiles.copied_sources(dockerfile, {"PART": "tasks"})

    assert sources == ["pyproject.toml", "uv.lock", "parts/tasks", "entry.sh", "parts/$PART"]


def test_base_images_leave_out_earlier_stages(dockerfile: Path) -> None:
    assert dockerfiles.base_images(dockerfile) == ["python:3.11-slim", "python:3.11-slim"]
    assert dockerfiles.base_image(dockerfile, "dev") == "python:3.11-slim"
