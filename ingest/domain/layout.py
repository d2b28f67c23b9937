"""Where every entity lands: one swappable layout object maps entities to keys of the output tree.

A key is a ``/``-separated path relative to the output root, never starting with ``/`` (the same string is used
inside metadata files, which store paths relative to the output root). The canonical layout is the tree of
docs/design.md §4; another arrangement (such as the portal's older ``{run}/Tomograms/VoxelSpacing{vs}/...``
tree) would be one more class implementing :class:`Layout`.
"""

from __future__ import annotations

from typing import Literal, Protocol

from ingest.domain.entities import (
    Alignment,
    Annotation,
    AnnotationFile,
    Dataset,
    Deposition,
    Run,
    TiltSeries,
    Tomogram,
    VoxelSpacing,
)

RUN_NAMED_ALIGNMENT_SUFFIXES = (".xf", ".aln", ".tlt", ".xtilt", ".tltx")
"""Alignment files copied as ``{run}{suffix}`` (the files the alignment metadata points at)."""

ImageKind = Literal["snapshot", "thumbnail"]
KeyPhotoKind = Literal["original", "snapshot", "thumbnail", "expanded"]


class Layout(Protocol):
    """The mapping from entities to output keys; every path the pipeline writes comes from one of these."""

    name: str

    def deposition_metadata(self, deposition: Deposition) -> str: ...
    def deposition_image(self, deposition: Deposition, kind: ImageKind) -> str: ...
    def dataset_dir(self, dataset: Dataset) -> str: ...
    def dataset_metadata(self, dataset: Dataset) -> str: ...
    def dataset_image(self, dataset: Dataset, kind: ImageKind) -> str: ...
    def run_dir(self, run: Run) -> str: ...
    def run_metadata(self, run: Run) -> str: ...
    def tiltseries_container(self, run: Run) -> str: ...
    def tiltseries_dir(self, tiltseries: TiltSeries) -> str: ...
    def tiltseries_metadata(self, tiltseries: TiltSeries) -> str: ...
    def tiltseries_mrc(self, tiltseries: TiltSeries) -> str: ...
    def tiltseries_zarr(self, tiltseries: TiltSeries) -> str: ...
    def tiltseries_rawtlt(self, tiltseries: TiltSeries) -> str: ...
    def tiltseries_copy(self, tiltseries: TiltSeries, file_name: str) -> str: ...
    def frames_copy(self, run: Run, file_name: str) -> str: ...
    def frames_metadata(self, run: Run) -> str: ...
    def identified_objects(self, run: Run) -> str: ...
    def identified_objects_metadata(self, run: Run) -> str: ...
    def collection_metadata(self, run: Run) -> str: ...
    def gains_copy(self, run: Run, file_name: str) -> str: ...
    def alignment_container(self, run: Run) -> str: ...
    def alignment_dir(self, alignment: Alignment) -> str: ...
    def alignment_metadata(self, alignment: Alignment) -> str: ...
    def alignment_file(self, alignment: Alignment, suffix: str) -> str: ...
    def alignment_copy(self, alignment: Alignment, file_name: str) -> str: ...
    def alignment_file_name(self, run: Run, file_name: str) -> str: ...
    def tiltseries_ctf(self, tiltseries: TiltSeries, ctf_format: str) -> str: ...
    def voxel_spacing_dir(self, voxel_spacing: VoxelSpacing) -> str: ...
    def tomogram_container(self, voxel_spacing: VoxelSpacing) -> str: ...
    def tomogram_dir(self, tomogram: Tomogram) -> str: ...
    def tomogram_metadata(self, tomogram: Tomogram) -> str: ...
    def tomogram_mrc(self, tomogram: Tomogram) -> str: ...
    def tomogram_zarr(self, tomogram: Tomogram) -> str: ...
    def key_photo(self, tomogram: Tomogram, kind: KeyPhotoKind) -> str: ...
    def neuroglancer_config(self, tomogram: Tomogram) -> str: ...
    def former_neuroglancer_configs(self, tomogram: Tomogram) -> tuple[str, ...]: ...
    def neuroglancer_precomputed(self, annotation_file: AnnotationFile) -> str: ...
    def annotation_container(self, voxel_spacing: VoxelSpacing) -> str: ...
    def annotation_dir(self, annotation: Annotation) -> str: ...
    def annotation_metadata(self, annotation: Annotation) -> str: ...
    def annotation_file(self, annotation_file: AnnotationFile) -> str: ...


class CanonicalLayout:
    """The portal's current tree (docs/design.md §4)::

    depositions_metadata/{deposition_id}/deposition_metadata.json
    {dataset}/dataset_metadata.json, {dataset}/Images/{snapshot,thumbnail}.png
    {dataset}/{run}/run_metadata.json
    {dataset}/{run}/TiltSeries/{id}/{run}.mrc|.zarr|.rawtlt, tiltseries_metadata.json
    {dataset}/{run}/Alignments/{id}/alignment_metadata.json, {run}.xf ...
    {dataset}/{run}/Frames/{frame files, {run}.mdoc}, frames_metadata.json
    {dataset}/{run}/IdentifiedObjects/identified_objects.json, identified_objects_metadata.json
    {dataset}/{run}/Gains/{gain files, .dm4 as {stem}.mrc}
    {dataset}/{run}/Reconstructions/VoxelSpacing{vs:.3f}/Tomograms/{id}/{run}.mrc|.zarr, tomogram_metadata.json
    .../VoxelSpacing{vs:.3f}/Annotations/{id}/{slug}-{version}.json, {slug}-{version}_{shape}.{ext}
    .../VoxelSpacing{vs:.3f}/Images/{tomogram_id}/key-photo-{kind}.png
    .../VoxelSpacing{vs:.3f}/NeuroglancerPrecompute/{tomogram_id}-neuroglancer_config.json
    """

    name = "canonical"

    def deposition_metadata(self, deposition: Deposition) -> str:
        return f"{self._deposition_dir(deposition)}/deposition_metadata.json"

    def deposition_image(self, deposition: Deposition, kind: ImageKind) -> str:
        return f"{self._deposition_dir(deposition)}/Images/{kind}.png"

    def dataset_dir(self, dataset: Dataset) -> str:
        return dataset.name

    def dataset_metadata(self, dataset: Dataset) -> str:
        return f"{self.dataset_dir(dataset)}/dataset_metadata.json"

    def dataset_image(self, dataset: Dataset, kind: ImageKind) -> str:
        return f"{self.dataset_dir(dataset)}/Images/{kind}.png"

    def run_dir(self, run: Run) -> str:
        return f"{self.dataset_dir(run.dataset)}/{run.name}"

    def run_metadata(self, run: Run) -> str:
        return f"{self.run_dir(run)}/run_metadata.json"

    def tiltseries_container(self, run: Run) -> str:
        return f"{self.run_dir(run)}/TiltSeries"

    def tiltseries_dir(self, tiltseries: TiltSeries) -> str:
        return f"{self.tiltseries_container(tiltseries.run)}/{tiltseries.tiltseries_id}"

    def tiltseries_metadata(self, tiltseries: TiltSeries) -> str:
        return f"{self.tiltseries_dir(tiltseries)}/tiltseries_metadata.json"

    def tiltseries_mrc(self, tiltseries: TiltSeries) -> str:
        return f"{self.tiltseries_dir(tiltseries)}/{tiltseries.run.name}.mrc"

    def tiltseries_zarr(self, tiltseries: TiltSeries) -> str:
        return f"{self.tiltseries_dir(tiltseries)}/{tiltseries.run.name}.zarr"

    def tiltseries_rawtlt(self, tiltseries: TiltSeries) -> str:
        return f"{self.tiltseries_dir(tiltseries)}/{tiltseries.run.name}.rawtlt"

    def tiltseries_copy(self, tiltseries: TiltSeries, file_name: str) -> str:
        """Where a source file of the tilt series (a raw tilt angle file) named ``file_name`` is copied."""
        return f"{self.tiltseries_dir(tiltseries)}/{file_name}"

    def frames_copy(self, run: Run, file_name: str) -> str:
        """Where a run's movie frame file or collection metadata file (``.mdoc``) named ``file_name`` is copied."""
        return f"{self.run_dir(run)}/Frames/{file_name}"

    def frames_metadata(self, run: Run) -> str:
        """The run's ``frames_metadata.json`` (doses per frame file, from the acquisition file)."""
        return f"{self.run_dir(run)}/Frames/frames_metadata.json"

    def identified_objects(self, run: Run) -> str:
        """The run's identified objects (the rows of the source CSV for the run, as JSON records)."""
        return f"{self.run_dir(run)}/IdentifiedObjects/identified_objects.json"

    def identified_objects_metadata(self, run: Run) -> str:
        """The metadata of the run's identified objects."""
        return f"{self.run_dir(run)}/IdentifiedObjects/identified_objects_metadata.json"

    def collection_metadata(self, run: Run) -> str:
        """The run's acquisition file, whatever the source's name: ``Frames/{run}.mdoc``, as the portal names it."""
        return f"{self.run_dir(run)}/Frames/{run.name}.mdoc"

    def gains_copy(self, run: Run, file_name: str) -> str:
        """Where a run's gain reference named ``file_name`` is copied; a DigitalMicrograph ``.dm4`` gain becomes
        ``{stem}.mrc`` (it is converted, as the portal converts it)."""
        stem, dot, suffix = file_name.rpartition(".")
        if dot and suffix.lower() == "dm4":
            file_name = f"{stem}.mrc"
        return f"{self.run_dir(run)}/Gains/{file_name}"

    def alignment_container(self, run: Run) -> str:
        return f"{self.run_dir(run)}/Alignments"

    def alignment_dir(self, alignment: Alignment) -> str:
        return f"{self.alignment_container(alignment.run)}/{alignment.alignment_id}"

    def alignment_metadata(self, alignment: Alignment) -> str:
        return f"{self.alignment_dir(alignment)}/alignment_metadata.json"

    def alignment_file(self, alignment: Alignment, suffix: str) -> str:
        return f"{self.alignment_dir(alignment)}/{alignment.run.name}.{suffix.lstrip('.')}"

    def alignment_copy(self, alignment: Alignment, file_name: str) -> str:
        """Where a source alignment file named ``file_name`` is copied: the alignment's folder, under
        :meth:`alignment_file_name`."""
        return f"{self.alignment_dir(alignment)}/{self.alignment_file_name(alignment.run, file_name)}"

    def alignment_file_name(self, run: Run, file_name: str) -> str:
        """The name an alignment file gets: ``{run}{ext}`` for ``.xf``, ``.aln``, ``.tlt``, ``.xtilt`` and ``.tltx``
        files; IMOD's ``tilt.com``/``newst.com`` (found by these names) and other files keep their source name."""
        lower = file_name.lower()
        suffix = next((s for s in RUN_NAMED_ALIGNMENT_SUFFIXES if lower.endswith(s)), None)
        return f"{run.name}{suffix}" if suffix is not None else file_name

    def tiltseries_ctf(self, tiltseries: TiltSeries, ctf_format: str) -> str:
        """The tilt series' CTF estimates, ``{run}_{format}_ctf.txt`` (format as the config spells it)."""
        return f"{self.tiltseries_dir(tiltseries)}/{tiltseries.run.name}_{ctf_format}_ctf.txt"

    def voxel_spacing_dir(self, voxel_spacing: VoxelSpacing) -> str:
        return f"{self.run_dir(voxel_spacing.run)}/Reconstructions/VoxelSpacing{voxel_spacing.name}"

    def tomogram_container(self, voxel_spacing: VoxelSpacing) -> str:
        return f"{self.voxel_spacing_dir(voxel_spacing)}/Tomograms"

    def tomogram_dir(self, tomogram: Tomogram) -> str:
        return f"{self.tomogram_container(tomogram.voxel_spacing)}/{tomogram.tomogram_id}"

    def tomogram_metadata(self, tomogram: Tomogram) -> str:
        return f"{self.tomogram_dir(tomogram)}/tomogram_metadata.json"

    def tomogram_mrc(self, tomogram: Tomogram) -> str:
        return f"{self.tomogram_dir(tomogram)}/{tomogram.run.name}.mrc"

    def tomogram_zarr(self, tomogram: Tomogram) -> str:
        return f"{self.tomogram_dir(tomogram)}/{tomogram.run.name}.zarr"

    def key_photo(self, tomogram: Tomogram, kind: KeyPhotoKind) -> str:
        folder = self.voxel_spacing_dir(tomogram.voxel_spacing)
        return f"{folder}/Images/{tomogram.tomogram_id}/key-photo-{kind}.png"

    def neuroglancer_config(self, tomogram: Tomogram) -> str:
        """The tomogram's Neuroglancer state, ``{tomogram_id}-neuroglancer_config.json`` beside the precomputed
        folders (as the portal's visualization-config importer names it)."""
        folder = self.voxel_spacing_dir(tomogram.voxel_spacing)
        return f"{folder}/NeuroglancerPrecompute/{tomogram.tomogram_id}-neuroglancer_config.json"

    def former_neuroglancer_configs(self, tomogram: Tomogram) -> tuple[str, ...]:
        """Where earlier versions of this tool wrote the tomogram's state (``{tomogram_id}/neuroglancer_config.json``,
        after an older portal fixture): the checker still reads a state there, and a run that writes the state
        removes it."""
        folder = self.voxel_spacing_dir(tomogram.voxel_spacing)
        return (f"{folder}/NeuroglancerPrecompute/{tomogram.tomogram_id}/neuroglancer_config.json",)

    def neuroglancer_precomputed(self, annotation_file: AnnotationFile) -> str:
        """The precomputed annotations of a point file: ``{annotation_id}-{stem}_{shape}`` (as the portal)."""
        annotation = annotation_file.annotation
        folder = self.voxel_spacing_dir(annotation.voxel_spacing)
        name = f"{annotation.annotation_id}-{annotation.stem}_{annotation_file.shape.suffix}"
        return f"{folder}/NeuroglancerPrecompute/{name}"

    def annotation_container(self, voxel_spacing: VoxelSpacing) -> str:
        return f"{self.voxel_spacing_dir(voxel_spacing)}/Annotations"

    def annotation_dir(self, annotation: Annotation) -> str:
        return f"{self.annotation_container(annotation.voxel_spacing)}/{annotation.annotation_id}"

    def annotation_metadata(self, annotation: Annotation) -> str:
        return f"{self.annotation_dir(annotation)}/{annotation.stem}.json"

    def annotation_file(self, annotation_file: AnnotationFile) -> str:
        annotation = annotation_file.annotation
        name = f"{annotation.stem}_{annotation_file.shape.suffix}.{annotation_file.file_format}"
        return f"{self.annotation_dir(annotation)}/{name}"

    def _deposition_dir(self, deposition: Deposition) -> str:
        return f"depositions_metadata/{deposition.deposition_id}"


DEFAULT_LAYOUT: Layout = CanonicalLayout()
"""The layout every key of the output tree comes from."""
