"""Build hook: the web panel goes into every wheel and sdist built from this repository.

Everything else about the package is in pyproject.toml; this file only adds one step to
setuptools' own commands. The panel (React + TypeScript under ``web/``) is built by Vite into
``src/soulbeat/api/static``, which is package data, so ``pip install soulbeat-*.whl`` followed by
``soulbeat serve`` serves it at ``/``.

* ``build_py`` (run for every wheel) and ``sdist`` build the panel first when it is missing or
  older than its sources: ``npm ci`` when ``web/node_modules`` is absent, then ``npm run build``.
  An sdist therefore carries the built panel as well as ``web/``, and a wheel built from that
  sdist needs no Node at all.
* Editable installs (``pip install -e .``, what ``make setup`` does) skip the step: the Makefile
  builds the panel itself, and the page at ``/`` says how when it is missing.
* ``SOULBEAT_BUILD_PANEL=0`` builds a package without the panel on purpose. Otherwise a missing
  ``npm`` with no built panel is an error that says what to install, never a silent wheel
  without the panel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
WEB = ROOT / "web"
PANEL = ROOT / "src" / "soulbeat" / "api" / "static" / "index.html"
SOURCES = ("src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts")


def _newest_source() -> float:
    newest = 0.0
    for name in SOURCES:
        path = WEB / name
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def _panel_is_fresh() -> bool:
    return PANEL.is_file() and (not WEB.is_dir() or PANEL.stat().st_mtime >= _newest_source())


def build_panel() -> None:
    """Build the panel unless it is fresh or switched off (module docstring)."""
    if os.environ.get("SOULBEAT_BUILD_PANEL", "1").strip().lower() in ("0", "false", "no"):
        print("soulbeat: SOULBEAT_BUILD_PANEL=0: building without the web panel")
        return
    if _panel_is_fresh():
        return
    npm = shutil.which("npm")
    if not WEB.is_dir() or npm is None:
        missing = "web/ (the panel's sources)" if not WEB.is_dir() else "npm (Node 20 or newer)"
        raise SystemExit(
            f"soulbeat: the web panel is not built and {missing} is missing; install Node 20+ "
            "and npm, or set SOULBEAT_BUILD_PANEL=0 to build a package without the panel"
        )
    if not (WEB / "node_modules").is_dir():
        subprocess.run([npm, "--prefix", str(WEB), "ci", "--no-audit", "--no-fund"], check=True)
    subprocess.run([npm, "--prefix", str(WEB), "run", "build"], check=True)
    if not PANEL.is_file():
        raise SystemExit(f"soulbeat: `npm run build` finished but {PANEL} is missing")


class BuildPyWithPanel(build_py):
    """setuptools' build_py, with the panel built first (not for editable installs)."""

    def run(self) -> None:
        if not getattr(self, "editable_mode", False):
            build_panel()
            self.__dict__.pop("data_files", None)  # list the freshly built files too
        super().run()


class SdistWithPanel(sdist):
    """setuptools' sdist, with the panel built first so the sdist carries it."""

    def run(self) -> None:
        build_panel()
        super().run()


setup(cmdclass={"build_py": BuildPyWithPanel, "sdist": SdistWithPanel})
