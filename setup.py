"""Build hook: generate the gRPC code from proto/ before packaging (see proto/generate.py).
Everything else about the package is in pyproject.toml."""

from __future__ import annotations

import runpy
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithProtos(build_py):
    def run(self) -> None:
        generator = runpy.run_path(str(Path(__file__).parent / "proto" / "generate.py"))
        generator["generate"]()
        super().run()


setup(cmdclass={"build_py": BuildWithProtos})
