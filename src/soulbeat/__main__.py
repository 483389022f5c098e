"""`python -m soulbeat` runs the CLI."""

from soulbeat.cli.app import main

main()
