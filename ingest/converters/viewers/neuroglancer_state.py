"""The Neuroglancer state of a tomogram, as the portal writes it (pure: JSON-able dicts).

The portal's visualization-config importer (with ``cryoet_data_portal_neuroglancer.state_generator``) writes, per
tomogram shown by default: an image layer of the tomogram's OME-Zarr (``zarr://``) whose contrast control spans
mean ± 3 rms, one annotation layer per point file (``precomputed://`` annotations), one segmentation layer per
mask and one per precomputed mesh (mesh annotations, oriented points shown as meshes), every source in metres per
voxel (voxel spacing × 1e-10), the 4-panel layout, the view centred on the volume and the 3-D view turned 45°
about x. Semantic masks are shown from their precomputed segmentation (without the portal's meshes), instance masks
(which the portal does not show) from their OME-Zarr (``zarr://``).
"""

from __future__ import annotations

import math
import re
from typing import Any

NEUROGLANCER_URL_PREFIX = "https://files.cryoetdataportal.cziscience.com/"
"""The default base URL of layer sources (the portal's default ``DOMAIN_NAME``): a source is the base URL + its
output key. ``ingest deposition --url-prefix`` sets another (a served local tree, a bucket's https URL)."""

_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


def url_prefix(text: str) -> str:
    """``text`` as a base URL of layer sources (a ``/`` appended when missing); ValueError when it is not an
    absolute URL such as ``https://host/path`` or ``http://127.0.0.1:8000/``."""
    if not _URL.fullmatch(text):
        raise ValueError(f"not an absolute URL (scheme://host/path): {text!r}")
    return text if text.endswith("/") else text + "/"


_CROSS_SECTION_HEIGHT = 400  # pixels: the portal's average cross-section render height


def _source(url: str, scale: float) -> dict[str, Any]:
    dimensions = {axis: [scale, "m"] for axis in "xyz"}
    return {"url": url, "transform": {"outputDimensions": dimensions, "inputDimensions": dimensions}}


def image_layer(url: str, name: str, scale: float, contrast: tuple[float, float]) -> dict[str, Any]:
    """The tomogram's image layer; ``contrast`` is the (low, high) range of its grey-scale control."""
    low, high = contrast
    width = high - low
    window = [low - width / 2, high + width / 2]
    shader = (
        f"#uicontrol invlerp contrast(range=[{low}, {high}], window=[{window[0]}, {window[1]}])\n"
        "#uicontrol bool invert_contrast checkbox(default=false)\n"
        "void main() {\n"
        "  float value = invert_contrast ? 1.0 - contrast() : contrast();\n"
        "  emitGrayscale(value);\n"
        "}\n"
    )
    return {
        "type": "image",
        "name": name,
        "source": _source(f"zarr://{url}", scale),
        "opacity": 0.51,
        "tab": "rendering",
        "visible": True,
        "shader": shader,
        "shaderControls": {"contrast": {"range": [low, high], "window": window}, "invert_contrast": False},
    }


def point_layer(
    url: str, name: str, scale: float, color: str, *, visible: bool, oriented: bool, instances: bool
) -> dict[str, Any]:
    """A precomputed point annotation layer (``instances``: coloured per instance by the ``color`` property)."""
    fill = "prop_color()" if instances else "color"
    lines = ["#uicontrol float pointScale slider(min=0.01, max=2.0, default=1.0)"]
    lines.append("#uicontrol float opacity slider(min=0.0, max=1.0, default=1.0)")
    if not instances:
        lines.append(f'#uicontrol vec3 color color(default="{color}")')
    body = ["  if (opacity == 0.0) discard;"]
    if oriented:
        body += [
            "  setLineWidth(1.0);",
            f"  setEndpointMarkerColor(vec4({fill}, opacity));",
            "  setEndpointMarkerSize(pointScale * prop_diameter(), pointScale * 0.5 * prop_diameter());",
        ]
    else:
        body += [
            f"  setColor(vec4({fill}, opacity));",
            "  setPointMarkerSize(pointScale * prop_diameter());",
            "  setPointMarkerBorderWidth(0.1);",
            "  setPointMarkerBorderColor(vec4(0.0, 0.0, 0.0, opacity));",
        ]
    shader = "\n".join([*lines, "void main() {", *body, "}", ""])
    controls: dict[str, Any] = {"pointScale": 1.0, "opacity": 1.0}
    if not instances:
        controls["color"] = color
    return {
        "type": "annotation",
        "name": name,
        "source": _source(f"precomputed://{url}", scale),
        "tab": "rendering",
        "visible": visible,
        "shader": shader,
        "shaderControls": controls,
    }


def segmentation_layer(
    url: str, name: str, scale: float, color: str, *, visible: bool, scheme: str = "precomputed"
) -> dict[str, Any]:
    """A mask's segmentation layer (label 1 shown in ``color``) of a precomputed segmentation (``scheme``
    ``zarr``: of an OME-Zarr)."""
    return {
        "type": "segmentation",
        "name": name,
        "source": _source(f"{scheme}://{url}", scale),
        "tab": "rendering",
        "selectedAlpha": 1,
        "hoverHighlight": False,
        "segments": ["1"],
        "segmentDefaultColor": color,
        "visible": visible,
    }


def mesh_layer(url: str, name: str, scale: float, color: str, *, visible: bool) -> dict[str, Any]:
    """A precomputed mesh's segmentation layer (segment 1 in ``color``, its mesh shown), as the portal's
    ``generate_mesh_layer`` and ``generate_oriented_point_mesh_layer``."""
    return {
        "type": "segmentation",
        "name": name,
        "source": {
            **_source(f"precomputed://{url}", scale),
            "subsources": {"default": True, "mesh": True},
            "enableDefaultSubsources": False,
        },
        "tab": "rendering",
        "selectedAlpha": 1,
        "hoverHighlight": False,
        "segments": [1],
        "segmentDefaultColor": color,
        "visible": visible,
        "meshRenderScale": 1.0,
    }


def state(layers: list[dict[str, Any]], scale: float, size: dict[str, int]) -> dict[str, Any]:
    """The whole state: ``layers`` (the image first), dimensions of ``scale`` metres, centred on ``size``."""
    largest = max(size[axis] for axis in "xyz")
    half_angle = math.radians(45) / 2
    return {
        "dimensions": {axis: [scale, "m"] for axis in "xyz"},
        "position": [float(round(size[axis] / 2)) for axis in "xyz"],
        "crossSectionScale": max(largest / _CROSS_SECTION_HEIGHT, 1),
        "projectionScale": largest * 1.1,
        "projectionOrientation": [math.sin(half_angle), 0.0, 0.0, math.cos(half_angle)],
        "layers": layers,
        "selectedLayer": {"visible": True, "layer": layers[0]["name"], "side": "left"},
        "crossSectionBackgroundColor": "#000000",
        "layout": "4panel",
        "showSlices": True,
        "showAxisLines": True,
        "enableLayerColorWidget": True,
        "layerListPanel": {"row": 1, "visible": True},
        "helpPanel": {"side": "right", "row": 0},
        "settingsPanel": {"side": "right", "row": 1},
        "selection": {"row": 2, "visible": False},
    }
