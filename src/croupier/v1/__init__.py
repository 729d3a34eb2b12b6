"""Generated from proto/croupier/v1 by proto/generate.py; never edit the *_pb2* files."""
