"""The deposition config: YAML with positions, versions and migration, templates, run maps."""
