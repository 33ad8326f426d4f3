"""`python -m webapp.cli <command>` (the Makefile, `hotline.procs.app_command` and the tests run it so)."""

from . import cli

cli()
