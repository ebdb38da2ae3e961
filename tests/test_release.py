"""What a release is made of: one version, a licence, a changelog, image labels."""

from __future__ import annotations

import re
import sys
from importlib.metadata import version as installed_version
from pathlib import Path

import mockpms

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_written_once_and_the_metadata_reads_it() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    assert "version" not in project and project["dynamic"] == ["version"]
    tool = pyproject()["tool"]
    assert isinstance(tool, dict)
    assert tool["setuptools"]["dynamic"]["version"] == {"attr": "mockpms.__version__"}
    assert installed_version("mockpms") == mockpms.__version__


def test_the_licence_file_matches_the_declared_licence() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_the_changelog_has_an_unreleased_section_and_the_current_release() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[([^\]]+)\]", changelog, flags=re.MULTILINE)
    assert releases[0] == "Unreleased"
    assert releases[1] == mockpms.__version__, (
        f"CHANGELOG.md's newest release is {releases[1]}, __version__ is {mockpms.__version__}"
    )


def test_the_image_is_labelled_with_the_version_and_licence() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    labels = dict(re.findall(r'(org\.opencontainers\.image\.[a-z]+)="([^"]*)"', dockerfile))
    assert labels["org.opencontainers.image.version"] == mockpms.__version__
    assert labels["org.opencontainers.image.licenses"] == "MIT"
    assert labels["org.opencontainers.image.title"] == "mockpms"


def test_the_image_sets_defaults_that_a_config_file_outranks() -> None:
    """MOCKPMS_HOST/PORT in the image would outrank a mounted config file's host/port."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "MOCKPMS_DEFAULT_HOST=0.0.0.0" in dockerfile
    assert not re.search(r"\bMOCKPMS_(HOST|PORT)=", dockerfile)


def test_the_healthcheck_starts_without_importing_flask() -> None:
    """The image's HEALTHCHECK runs every second: it must start without Flask."""
    import subprocess

    code = "import sys, mockpms.healthcheck; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert callable(mockpms.create_app)


def test_make_serve_installs_only_what_serving_needs() -> None:
    """`make serve` installs the package alone; the test and dev extras come with `make test`."""
    import subprocess

    def recipe(target: str) -> str:
        dry = subprocess.run(
            ["make", "-n", "-B", "-f", str(ROOT / "Makefile"), target],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return dry.stdout

    serve, test = recipe("serve"), recipe("test")
    assert "pip install --quiet -e .\n" in serve and "[dev]" not in serve and "[test]" not in serve
    assert "pip install --quiet -e '.[dev]'" in test
    dev = pyproject()["project"]
    assert isinstance(dev, dict)
    assert "mockpms[test,bench]" in dev["optional-dependencies"]["dev"]
    serving = dev["dependencies"]
    assert not any(d.startswith("pytest") for d in serving)  # test and bench only
    assert any(d.startswith("granian") for d in serving)  # mockpms serve's server
