"""A run's acquisition as its config describes it (tilt range and step, total flux, dose rate, pixel spacing,
binning from frames), so that every synthesized per-tilt file agrees with the config and with each other: the
output checks compare tilt_range by tilt_step with the mdoc angles, exposure doses with total_flux, gains and MRC
frames with the pixel spacing (see :class:`synthetic_files.Acquisition`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synthetic_files import TILTS, Acquisition


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "1"


def entry_value(data: Mapping[str, Any], section: str, values: Mapping[str, str], *path: str) -> Any:
    """A metadata value of the first entry of ``section`` with a value at ``path``, templates filled with the run's
    ``values`` and cast as the portal casts ``float {...}``/``int {...}`` (None when it does not cast)."""
    for entry in data.get(section) or []:
        value: Any = entry.get("metadata") if isinstance(entry, dict) else None
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and "{" in value:
            cast, _, template = value.partition(" ") if value.startswith(("float ", "int ")) else ("", "", value)
            value = template.format_map(_Missing(values))
            try:
                value = float(value) if cast else value
            except ValueError:
                value = None
        if value is not None:
            return value
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def acquisition_of(data: Mapping[str, Any], values: Mapping[str, str]) -> Acquisition:
    """The acquisition of the run with template ``values`` under config ``data``: the angles of ``tilt_range`` by
    ``tilt_step`` (:data:`synthetic_files.TILTS` without them), an exposure time per tilt so that times ×
    ``dose_rate`` add up to ``total_flux``, and the frames' pixel size (pixel spacing / ``binning_from_frames``)."""
    low, high = (_number(entry_value(data, "tiltseries", values, "tilt_range", k)) for k in ("min", "max"))
    step = _number(entry_value(data, "tiltseries", values, "tilt_step"))
    tilts = TILTS
    if low is not None and high is not None and step:
        count = round((high - low) / abs(step)) + 1
        tilts = tuple(round(low + i * abs(step), 2) for i in range(count))
    flux = _number(entry_value(data, "tiltseries", values, "total_flux"))
    rate = _number(entry_value(data, "frames", values, "dose_rate"))
    pixel = _number(entry_value(data, "tiltseries", values, "pixel_spacing"))
    binning = _number(entry_value(data, "tiltseries", values, "binning_from_frames"))
    pixel = pixel if pixel is not None and pixel > 0 else 10.0
    frame_pixel = pixel / binning if binning is not None and binning > 0 else pixel
    dose = flux / len(tilts) if flux is not None and flux > 0 else 3.0
    time = dose / rate if rate is not None and rate > 0 else 1.0
    return Acquisition(tilts, time, dose, pixel, frame_pixel)
