"""Every folder of templates, static files and fixtures ships in the wheel."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_every_data_folder_is_a_listed_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = set(config["tool"]["setuptools"]["packages"])
    folders = [ROOT / "mockpms" / "templates", ROOT / "mockpms" / "static", ROOT / "fixtures"]
    for top in folders:
        for folder in [top, *(p for p in top.rglob("*") if p.is_dir())]:
            if folder.name == "__pycache__":
                continue
            relative = folder.relative_to(ROOT)
            parts = (
                ("mockpms", *relative.parts) if relative.parts[0] == "fixtures" else relative.parts
            )
            assert ".".join(parts) in packages, (
                f"{relative} is missing from [tool.setuptools] packages"
            )
