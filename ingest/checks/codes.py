"""Every code that ``ingest check`` can report, with what it means. Codes are stable across releases.

| code | subject | fires when |
|---|---|---|
| C-TREE-UNREADABLE | tree | a file named by the layout cannot be read |
| C-TREE-STRAY | tree | a file sits where the canonical layout puts nothing |
| C-TREE-LEGACY | tree | a folder follows the portal's older layout (reported once per folder, warning) |
| C-TREE-NO-METADATA | tree | an entity folder (dataset, run, tomogram, annotation, ...) has no metadata file |
| C-TREE-NO-DATA | tree | a tomogram, tilt series or annotation folder holds only its metadata |
| C-TREE-KEY-PHOTO | tree | key photo missing, no PNG, not the portal's size (tomograms 134/512); < 50 px: warning |
| C-NG-LAYERS | tree | a Neuroglancer config is not a JSON object with at least one layer |
| C-NG-PRECOMPUTED | tree | precomputed annotations: an index is truncated or by_id lacks an id of the spatial index |
| C-META-JSON | metadata | a metadata file is not a JSON object |
| C-META-SCHEMA | metadata | a metadata file does not validate against the metadata-files schema |
| C-META-IMPORTER | metadata | a field the portal's importer needs is missing or bad (frame path: null, not absent) |
| C-META-PATH-MISSING | metadata | a path named in a metadata file does not exist in the tree |
| C-META-ID-FOLDER | metadata | an id or name in a metadata file disagrees with its folder or file name |
| C-META-VOXEL-SPACING | metadata | a tomogram's voxel_spacing differs from its VoxelSpacing folder value |
| C-META-DEPOSITION | metadata | a deposition_id has no depositions_metadata/{id}/deposition_metadata.json |
| C-META-SIZE | metadata | size or scales in metadata disagree with the MRC or OME-Zarr shapes |
| C-META-VALUES | metadata | empty title, description, identifier; optics/flux ≤ 0; no primary/corresponding author |
| C-TS-RAWTLT-NAME | tiltseries | a raw tilt file in a tilt series folder, or raw_tlt_path, is not {run}.rawtlt |
| C-TS-NO-SECTIONS | tiltseries | a tilt series has no per_section_parameter (warning) |
| C-TS-SECTION-FRAME | tiltseries | a frame_acquisition_order is no acquisition_order in frames_metadata.json |
| C-MRC-HEADER | mrc | the header cannot be read (file shorter than 1024 bytes, bad byte order, unknown mode) |
| C-MRC-MAP-ID | mrc | the ``map`` field is not ``MAP `` |
| C-MRC-MODE | mrc | mode not allowed for the kind (float32 volumes, int8 binary, uint16 instance masks) |
| C-MRC-CELLA | mrc | cella is not voxel size × shape (mx, my, mz differ from nx, ny, nz) |
| C-MRC-AXES | mrc | mapc, mapr, maps are not 1, 2, 3 |
| C-MRC-ANGLES | mrc | cell angles are not 90° |
| C-MRC-ORIGIN | mrc | origin or nxstart/nystart/nzstart are not 0 |
| C-MRC-NSYMBT | mrc | nsymbt is negative or the extended header does not fit in the file |
| C-MRC-FILE-SIZE | mrc | file size differs from 1024 + nsymbt + nx·ny·nz·itemsize |
| C-MRC-ISPG | mrc | ispg is not 0 (tilt series; frames, gains: warning) or 1 (tomograms, masks) |
| C-MRC-MACHST | mrc | the machine stamp names no byte order (read as little-endian regardless) |
| C-MRC-LABELS | mrc | nlabl differs from the number of non-blank labels, or a label is blank |
| C-MRC-NVERSION | mrc | nversion is not 20140 or 20141 |
| C-MRC-EXTTYP | mrc | nsymbt > 0 and exttyp is not CCP4, MRCO, SERI, AGAR, FEI1, FEI2 or HDF5 |
| C-MRC-VOXEL-SIZE | mrc | header voxel size differs from the metadata's by more than 0.001 Å |
| C-ZARR-NGFF | ome-zarr | not a valid OME-NGFF 0.4/0.5 image per ome-zarr-models (e.g. no .zattrs) |
| C-ZARR-AXES | ome-zarr | axes are not z, y, x of type space in angstrom |
| C-ZARR-LEVELS | ome-zarr | the pyramid does not have the levels 0, 1, 2 |
| C-ZARR-LEVEL-SHAPE | ome-zarr | level i is not ceil(n / 2^i) (tilt series: z unchanged) |
| C-ZARR-SCALE | ome-zarr | level i scale is not voxel spacing × 2^i, or a translation is present |
| C-ZARR-DTYPE | ome-zarr | the dtype is not allowed for the volume's kind |
| C-ZARR-MRC-SHAPE | ome-zarr | level 0 and the MRC differ in shape |
| C-ZARR-CHUNK | ome-zarr | a chunk of the grid is missing, or a decoded chunk fails to decode or has the wrong size |
| C-ZARR-MRC-VOXELS | ome-zarr | decoded level-0 voxels differ from the MRC's (sampled chunks; all with --deep) |
| C-NDJSON-PARSE | annotation | an ndJSON line is not a JSON object with a numeric location x, y, z |
| C-NDJSON-TYPE | annotation | a line's type does not match the file's declared shape |
| C-NDJSON-COUNT | annotation | point count (lines; instances: distinct ids) is not object_count (or their max) |
| C-NDJSON-OUTSIDE | annotation | a point lies outside its tomogram (0 <= c <= size) |
| C-NDJSON-ROTATION | annotation | a rotation matrix is not 3×3 orthonormal with determinant +1 (tolerance 1e-6) |
| C-ANN-NO-TOMOGRAM | annotation | no tomogram in the voxel spacing to check points and masks against (note) |
| C-MASK-SHAPE | annotation | a mask's shape differs from its tomogram's |
| C-MASK-VALUES | annotation | a binary mask holds values other than 0 and 1 |
| C-MASK-LABELS | annotation | instance labels disagree with object_count or with the zarr image-label metadata |
| C-MESH-GLB | annotation | a mesh file (TriangularMesh) is not a readable glb or holds no triangle |
| C-TILT-FILE | tiltseries | a raw tilt, tilt or mdoc file has a non-angle line, no angle, or one outside ±90° |
| C-TILT-RAWTLT-COUNT | tiltseries | the raw tilt file lists more angles than the tilt series has sections (size.z) |
| C-TILT-RAWTLT-MDOC | tiltseries | a raw tilt angle matches no mdoc TiltAngle (two decimals, each used once) |
| C-TILT-MDOC-COUNT | tiltseries | the mdoc has fewer sections than the tilt series (size.z) |
| C-TILT-RANGE | tiltseries | a tilt_range angle (by tilt_step) is no mdoc angle, or angles exceed tilt_range by > 0.5 |
| C-TILT-AXIS | tiltseries | tilt_axis differs from the mdoc's Tilt axis angle by more than 10° |
| C-TILT-SECTION | tiltseries | per_section_parameter z_index, astigmatic_angle, phase_shift or max_resolution invalid |
| C-TILT-SECTION-MDOC | tiltseries | a per_section_parameter raw_angle matches no mdoc TiltAngle |
| C-TILT-SECTION-FRAMES | tiltseries | more per_section_parameter entries than frames in frames_metadata.json |
| C-ALN-TLT | alignment | a .tlt has more angles than sections, or one matching no raw tilt, mdoc or tilt_range angle |
| C-FRAMES-MDOC | frames | mdoc sections, frame files, frames entries differ in number or SubFramePath names (warning) |
| C-FRAMES-DOSE | frames | the frames' exposure_dose sum differs from the tilt series' total_flux by more than 1 |
| C-FRAMES-ORDER | frames | acquisition_order > frames − 1, or it orders frames unlike accumulated_dose |
| C-FRAMES-GAIN | frames | not gain corrected, and no file under Gains/ (warning: the portal's test is skipped then) |
| C-TILT-NO-RAWTLT | tiltseries | a tilt series has no raw tilt file (warning: the portal imports it without) |
| C-TILT-NO-MDOC | tiltseries | a run with a tilt series or frames has no mdoc (warning) |
| C-FRAMES-NUMSUBFRAMES | frames | a frame's MRC nz or TIFF/EER pages differ from its mdoc section's NumSubFrames |
| C-FRAMES-CONSISTENT | frames | frames differ in size or MRC spacing, a TIFF's pages in size, or x and y spacing |
| C-GAIN-CONSISTENT | frames | gains differ in size or MRC spacing, a TIFF's pages in size, or x and y spacing |
| C-GAIN-HEADER | frames | a gain MRC is not one image (nz = 1), or not of the first MRC frame's size and voxel size |
| C-FRAMES-PIXEL-SPACING | frames | a tilt series' pixel_spacing is no whole multiple of the MRC frames' voxel size |
"""

from __future__ import annotations

import re

from ingest.domain.report import Finding, Severity

CHECK_CODES: dict[str, str] = {
    match.group(1): match.group(3)
    for match in re.finditer(r"^\| (C-[A-Z0-9-]+) \| ([a-z-]+) \| (.+) \|$", __doc__ or "", re.MULTILINE)
}


def check_finding(
    code: str,
    message: str,
    *,
    file: str,
    path: str | None = None,
    expected: object = None,
    found: object = None,
    severity: Severity = Severity.ERROR,
) -> Finding:
    """A finding of one documented check about one file of the tree (``file`` is its key)."""
    if code not in CHECK_CODES:
        raise ValueError(f"undocumented check code {code}")
    return Finding(
        severity,
        code,
        message,
        file=file,
        path=path,
        expected=None if expected is None else str(expected),
        found=None if found is None else str(found),
    )
