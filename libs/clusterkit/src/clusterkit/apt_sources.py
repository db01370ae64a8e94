"""The machine's own apt sources, read as apt reads them: where its packages come from.

    python3 libs/clusterkit/src/clusterkit/apt_sources.py [--root DIR] mirror bookworm

prints the archive that serves Debian `bookworm`'s main component (what .ci/podman-setup
hands debootstrap), so no mirror's address is ever written into the repository. Reads
/etc/apt/sources.list and sources.list.d/*.list (one-line format) and
sources.list.d/*.sources (deb822); other files there (`*.disabled`, backups) apt ignores
too. Standard library only: .ci scripts run it before any virtual environment exists.
"""

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Source:
    file: Path
    types: tuple[str, ...]
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    components: tuple[str, ...]
    # Keyring files (apt's Signed-By / [signed-by=...]); an inline key is not a file.
    keyrings: tuple[str, ...] = ()


class NoSource(LookupError):
    pass


def source_files(root: Path = Path("/")) -> list[Path]:
    """The files apt reads, in its order."""
    etc = root / "etc" / "apt"
    parts = etc / "sources.list.d"
    found = [etc / "sources.list"] if (etc / "sources.list").is_file() else []
    if parts.is_dir():
        parted = (path for path in parts.iterdir() if path.suffix in (".list", ".sources"))
        found += sorted(path for path in parted if path.is_file())
    return found


def _one_line_sources(file: Path) -> Iterator[Source]:
    for raw in file.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, rest = line.partition(" ")
        options: dict[str, str] = {}
        rest = rest.strip()
        if rest.startswith("["):
            inside, _, rest = rest[1:].partition("]")
            options = dict(option.split("=", 1) for option in inside.split() if "=" in option)
        words = rest.split()
        if len(words) < 2:
            continue  # not a source apt would accept either
        keyrings = tuple(options["signed-by"].split(",")) if "signed-by" in options else ()
        yield Source(file, (kind,), (words[0],), (words[1],), tuple(words[2:]), keyrings)


def _deb822_paragraphs(text: str) -> Iterator[dict[str, str]]:
    fields: dict[str, str] = {}
    name = ""
    for raw in [*text.splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if fields:
                yield fields
            fields, name = {}, ""
        elif raw[0] in " \t" and name:
            fields[name] += "\n" + raw.strip()  # a continuation (an inline key)
        elif ":" in raw:
            name, _, value = raw.partition(":")
            name = name.strip().lower()
            fields[name] = value.strip()


def _deb822_sources(file: Path) -> Iterator[Source]:
    for fields in _deb822_paragraphs(file.read_text()):
        if fields.get("enabled", "yes").lower() == "no":
            continue
        signed_by = fields.get("signed-by", "")
        keyrings = () if "BEGIN PGP" in signed_by else tuple(signed_by.split())
        yield Source(
            file,
            tuple(fields.get("types", "").split()),
            tuple(fields.get("uris", "").split()),
            tuple(fields.get("suites", "").split()),
            tuple(fields.get("components", "").split()),
            keyrings,
        )


def sources(root: Path = Path("/")) -> list[Source]:
    """Every enabled source of the machine under `root`, in apt's order."""
    found: list[Source] = []
    for file in source_files(root):
        reader = _deb822_sources if file.suffix == ".sources" else _one_line_sources
        found += reader(file)
    return found


def mirror(suite: str, root: Path = Path("/"), component: str = "main") -> str:
    """The first archive URI that serves binary packages of `suite`'s `component`."""
    for source in sources(root):
        if "deb" in source.types and suite in source.suites and component in source.components:
            return source.uris[0].rstrip("/")
    raise NoSource(
        f"no apt source of {root / 'etc/apt'} serves `deb ... {suite} {component}`: "
        "add one (or set DEBIAN_MIRROR)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/"), help="the machine's root")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("mirror", help="the archive serving SUITE main").add_argument("suite")
    args = parser.parse_args(argv)
    try:
        print(mirror(args.suite, args.root))
    except NoSource as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
