"""`python -m entrypoints.cli` runs the command, as it did when the CLI was one module."""

from entrypoints.cli import main

main()
