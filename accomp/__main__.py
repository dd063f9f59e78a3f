"""`python -m accomp` runs the command line."""

from accomp.cli import main

main()
