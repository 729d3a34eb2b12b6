"""Generated protobuf and gRPC code lives in `croupier.v1` (see proto/generate.py)."""
