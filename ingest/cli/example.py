"""``ingest example DIR``: generate the synthetic example deposition's source files and config."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("example")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def example(directory: Path) -> None:
    """Generate a small synthetic deposition (phantom tomograms, tilt series, picks, mask) into DIRECTORY."""
    from ingest.pipeline.example import write_example

    written = write_example(directory)
    click.echo(f"wrote {len(written)} files under {directory}")
    click.echo(f"next: ingest deposition {directory / 'example.yaml'}")
