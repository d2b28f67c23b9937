"""Examples and exit statuses shown at the end of every command's ``--help`` (and summarised in the README).

Kept here, in one table, so that every command has both and they stay consistent; :func:`add_epilogs` attaches
them to the assembled command group. Nothing here imports more than click.
"""

from __future__ import annotations

import click

_COMMON = ((3, "internal error (a bug): one line on stderr, the traceback in a log file"), (130, "interrupted"))

HELP: dict[str, tuple[tuple[str, ...], tuple[tuple[int, str], ...]]] = {
    "validate": (
        (
            "ingest validate config.yaml",
            "ingest validate --input /data/lab config.yaml        # also plan it as the dry run does",
            "ingest validate --format github configs/*.yaml       # CI annotations",
        ),
        ((0, "every config is valid"), (1, "a config is invalid"), (2, "a config is unreadable, or bad usage")),
    ),
    "migrate": (
        ("ingest migrate old.yaml -o new.yaml",),
        ((0, "migrated"), (1, "the config is invalid"), (2, "unreadable file, unsupported version, bad usage")),
    ),
    "schema": (
        ("ingest schema --json-schema > deposition-config.schema.json", "ingest schema --metadata"),
        ((0, "printed"), (2, "bad usage")),
    ),
    "example": (
        ("ingest example demo && ingest deposition demo/example.yaml --output demo-portal",),
        ((0, "written"), (2, "the folder cannot be written, or bad usage")),
    ),
    "deposition": (
        (
            "ingest deposition config.yaml --input /data/lab --output portal --dry-run",
            "ingest deposition config.yaml --output s3://bucket/portal --run 'TS_0[0-9]+'",
            "ingest deposition config.yaml --output portal --only metadata --quiet",
        ),
        (
            (0, "every run ingested and checked"),
            (1, "invalid config, a run failed, or the output checks found errors"),
            (2, "unreadable input, unreachable storage, or bad usage"),
        ),
    ),
    "run": (
        ("ingest run config.yaml TS_001 --output portal", "ingest run config.yaml TS_001 --output portal --verbose"),
        (
            (0, "the run was ingested and checked"),
            (1, "invalid config, the run failed, or the output checks found errors"),
            (2, "unreadable input, unreachable storage, or bad usage"),
        ),
    ),
    "check": (
        (
            "ingest check portal",
            "ingest check s3://bucket/portal --deep --format json",
            "ingest check portal --format junit > check.xml",
        ),
        ((0, "clean (notes and warnings allowed)"), (1, "errors found"), (2, "unreadable or empty tree, bad usage")),
    ),
    "info": (
        (
            "ingest info portal",
            "ingest info s3://bucket/portal --storage-option endpoint_url=http://127.0.0.1:9000",
            "ingest info portal --format json | jq .tomograms",
        ),
        ((0, "summarised"), (2, "not a portal tree (nothing or no metadata found), unreadable, or bad usage")),
    ),
    "convert volume": (
        (
            "ingest convert volume tomo.mrc tomo.zarr --voxel-spacing 10 --mrc tomo-portal.mrc",
            "ingest convert volume mask.mrc mask.zarr --voxel-spacing 10 --kind semantic-mask",
            "ingest convert volume s3://bucket/tomo.mrc s3://bucket/out/tomo.zarr --voxel-spacing 10 "
            "--storage-option endpoint_url=http://127.0.0.1:9000",
        ),
        (
            (0, "converted"),
            (1, "the source is malformed"),
            (2, "missing or unreadable source, unreachable storage, bad usage"),
        ),
    ),
    "convert picks": (
        (
            "ingest convert picks particles.star picks.ndjson --from relion3_star --shape oriented-point",
            "ingest convert picks s3://bucket/picks.csv picks.ndjson --from csv --tomogram s3://bucket/tomo.mrc",
        ),
        (
            (0, "converted"),
            (1, "the pick file is malformed"),
            (2, "missing or unreadable file, unreachable storage, bad usage"),
        ),
    ),
    "export picks": (
        ("ingest export picks picks.ndjson particles.star --to relion5_star --voxel-spacing 10",),
        (
            (0, "exported"),
            (1, "the ndJSON is malformed"),
            (2, "missing or unreadable file, unreachable storage, bad usage"),
        ),
    ),
}
"""Per command path (below ``ingest``): example command lines and exit statuses (3 and 130 apply to all)."""


def epilog(name: str) -> str:
    """The ``--help`` epilogue of command ``name``: examples, then exit statuses (kept unwrapped by ``\\b``)."""
    examples, statuses = HELP[name]
    lines = ["\b", "Examples:", *(f"  {example}" for example in examples), "", "\b", "Exit status:"]
    lines.extend(f"  {code:<4} {meaning}" for code, meaning in (*statuses, *_COMMON))
    return "\n".join(lines)


def add_epilogs(group: click.Group, prefix: str = "") -> None:
    """Attach the epilogue of every command of ``group`` (and of its subgroups) that has an entry in :data:`HELP`."""
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            add_epilogs(command, f"{path} ")
        elif path in HELP:
            command.epilog = epilog(path)
