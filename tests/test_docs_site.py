"""The documentation a reader walks: a short README that maps the pages, and the site
built from docs/ in strict mode, so that a broken link, a missing anchor or a page left
out of the nav fails `make test` as it fails `make docs`."""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# [text](target): a link or an image, the target up to a space or the closing parenthesis.
LINK = re.compile(r"\]\(([^)\s]+)\)")


def nav_pages() -> list[str]:
    """The pages of mkdocs.yml's nav, in order."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    return [page for entry in config["nav"] for page in entry.values()]


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        # Material's notice of its end of life, printed on every build, is no warning.
        env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "WARNING" not in built.stderr, built.stderr
    for page in nav_pages():
        folder = "" if page == "index.md" else page.removesuffix(".md")
        assert (tmp_path / folder / "index.html").is_file(), page


def test_every_page_of_docs_is_in_the_nav() -> None:
    # mkdocs warns too (validation.omitted_files); this says which page at once.
    pages = sorted(str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md"))
    assert pages == sorted(nav_pages())


def test_the_readme_is_short() -> None:
    assert len(README.read_text().splitlines()) <= 250


def test_the_readme_maps_every_page() -> None:
    linked = {target.split("#")[0] for target in LINK.findall(README.read_text())}
    missing = [page for page in nav_pages() if f"docs/{page}" not in linked]
    assert not missing, f"README.md does not link to {missing}"


def test_the_readme_links_to_what_exists() -> None:
    # The site's build checks docs/; the README is read on its own, where it is.
    for target in LINK.findall(README.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        path, _, anchor = target.partition("#")
        assert (ROOT / path).exists(), target
        if anchor:
            assert anchor in anchors((ROOT / path).read_text()), target


def anchors(markdown: str) -> set[str]:
    """The ids of a page's headings, made as Python-Markdown's toc makes them (which is
    also what GitHub makes of these headings)."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", markdown, re.MULTILINE):
        text = re.sub(r"[^\w\s-]", "", heading.replace("`", "")).strip().lower()
        found.add(re.sub(r"[-\s]+", "-", text))
    return found


def test_the_readme_says_what_never_ran_on_a_cluster() -> None:
    text = README.read_text()
    assert "**Never run on a Kubernetes cluster.**" in text
    assert "(docs/kubernetes.md#what-has-never-run-on-a-cluster)" in text
    assert "## What has never run on a cluster" in (DOCS / "kubernetes.md").read_text()
