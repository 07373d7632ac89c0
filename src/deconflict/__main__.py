"""`python -m deconflict` is the `deconflict` command."""

from deconflict.entrypoints.cli import main

main()
