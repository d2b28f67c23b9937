"""`python -m ingest` runs the command-line interface."""

from ingest.cli import main

if __name__ == "__main__":
    main()
