"""Dockerfiles read as text, the way a builder reads them: their stages, the build
arguments expanded where a builder expands them, what a target runs and what the file
copies from the build context. For the checks of an image's promises that need no build.
"""

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The instructions a builder expands build arguments in; RUN leaves them to the shell,
# an exec-form CMD to nobody.
_EXPANDING = {
    *("ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"),
}


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    value: str  # the rest, continuation lines joined


@dataclass
class Stage:
    name: str | None
    base: str  # an image, or the name of an earlier stage
    instructions: list[Instruction]

    def values(self, keyword: str) -> list[str]:
        return [i.value for i in self.instructions if i.keyword == keyword]

    def copied(self) -> list[str]:
        """What this stage's COPY and ADD take from the build context."""
        sources = []
        for value in self.values("COPY") + self.values("ADD"):
            words = value.split()
            if not any(word.startswith("--from=") for word in words):
                sources += [word for word in words[:-1] if not word.startswith("--")]
        return sources


def instructions(dockerfile: Path) -> list[Instruction]:
    """Every instruction in order, comments and blank lines left out."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, value = line.partition(" ")
            found.append(Instruction(keyword.upper(), value.strip()))
    return found


def stages(dockerfile: Path, args: Mapping[str, str] | None = None) -> list[Stage]:
    """The stages in order, with `args` (build arguments) expanded after each stage's
    `ARG` declares them; a declared argument given no value is its default or ""."""
    given = args or {}
    found: list[Stage] = []
    declared: dict[str, str] = {}
    for instruction in instructions(dockerfile):
        if instruction.keyword == "FROM":
            words = instruction.value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(name, words[0], []))
            declared = {}
        elif instruction.keyword == "ARG":
            key, _, default = instruction.value.partition("=")
            declared[key] = given.get(key, default)
        elif found:
            found[-1].instructions.append(_expanded(instruction, declared))
    return found


def _expanded(instruction: Instruction, declared: Mapping[str, str]) -> Instruction:
    if instruction.keyword not in _EXPANDING:
        return instruction
    value = instruction.value
    for key, replacement in declared.items():
        value = re.sub(r"\$\{" + key + r"\}|\$" + key + r"\b", replacement, value)
    return Instruction(instruction.keyword, value)


def target_chain(
    dockerfile: Path, target: str | None = None, args: Mapping[str, str] | None = None
) -> list[Stage]:
    """The stages a target is made of, its first base first (no target: the last stage)."""
    every = stages(dockerfile, args)
    by_name = {stage.name: stage for stage in every if stage.name}
    chain = [by_name[target] if target else every[-1]]
    while chain[0].base in by_name:
        chain.insert(0, by_name[chain[0].base])
    return chain


def command(
    dockerfile: Path, target: str | None = None, args: Mapping[str, str] | None = None
) -> list[str]:
    """The exec-form CMD a target runs (inherited from the stage it starts from)."""
    commands = [c for stage in target_chain(dockerfile, target, args) for c in stage.values("CMD")]
    argv: list[str] = json.loads(commands[-1])
    return argv


def environment(
    dockerfile: Path, target: str | None = None, args: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The `ENV KEY=value ...` a target sets, build arguments expanded."""
    env: dict[str, str] = {}
    for stage in target_chain(dockerfile, target, args):
        for value in stage.values("ENV"):
            env |= dict(pair.split("=", 1) for pair in shlex.split(value))
    return env


def base_image(dockerfile: Path, target: str | None = None) -> str:
    """The image at the bottom of a target."""
    return target_chain(dockerfile, target)[0].base


def base_images(dockerfile: Path) -> list[str]:
    """The images the stages start FROM, in order; a stage that starts from an earlier
    stage (`FROM runtime AS dev`) names no image and is left out."""
    named: set[str] = set()
    images = []
    for stage in stages(dockerfile):
        if stage.base not in named:
            images.append(stage.base)
        if stage.name:
            named.add(stage.name)
    return images


def copied_sources(dockerfile: Path, args: Mapping[str, str] | None = None) -> list[str]:
    """What COPY and ADD take from the build context in any stage, whatever the target:
    skaffold watches all of it and refuses a source that matches no file."""
    return [source for stage in stages(dockerfile, args) for source in stage.copied()]
