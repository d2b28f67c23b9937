"""Volumes: MRC and OME-Zarr sources to the canonical OME-Zarr pyramid and MRC."""
