"""`python -m ingest` runs the command-line interface (under the name ``ingest``, so completion works too)."""

from ingest.cli import main

if __name__ == "__main__":
    main(prog_name="ingest")
