"""Generate the Python code of the protos: messages, gRPC stubs and their type stubs.

    python proto/generate.py

runs as part of every install (setup.py's build step) and by `./dev protos`. The output goes
to src/croupier/v1/, whose import path `croupier.v1` matches the proto package, because
grpcio-tools writes imports derived from the proto path (`from croupier.v1 import x_pb2`)."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
OUT = ROOT / "src"


def _plugin(name: str) -> str | None:
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / name, Path(sys.executable).parent / name):
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def generate() -> list[Path]:
    from grpc_tools import protoc

    include = Path(protoc.__file__).parent / "_proto"
    protos = sorted(PROTO_ROOT.glob("croupier/v1/*.proto"))
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={OUT}",
        f"--grpc_python_out={OUT}",
    ]
    mypy_grpc = _plugin("protoc-gen-mypy_grpc")
    mypy = _plugin("protoc-gen-mypy")
    if mypy and mypy_grpc:
        # mypy-protobuf types both the messages and the service stubs.
        args += [
            f"--plugin=protoc-gen-mypy={mypy}",
            f"--plugin=protoc-gen-mypy_grpc={mypy_grpc}",
            f"--mypy_out={OUT}",
            f"--mypy_grpc_out={OUT}",
        ]
    else:
        args.append(f"--pyi_out={OUT}")
    args += [str(p.relative_to(PROTO_ROOT)) for p in protos]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed; see the messages above")
    return sorted((OUT / "croupier" / "v1").glob("*_pb2*.py*"))


if __name__ == "__main__":
    for path in generate():
        print(path.relative_to(ROOT))
