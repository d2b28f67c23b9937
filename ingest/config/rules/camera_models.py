"""Camera model against its manufacturer: a warning, as in the portal's validator.

The portal knows a short list of detector models per manufacturer and logs a warning (never an error) for a model
it does not list or a manufacturer it does not know; templated models (``{column}``) are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ingest.config.positioned_yaml import YamlDocument
from ingest.config.rules.located import finding_at, show
from ingest.config.rules.sections import metadata_of
from ingest.domain.report import Finding, Severity

KNOWN_CAMERA_MODELS: dict[str, tuple[str, ...]] = {
    "FEI": ("FALCON IV", "FALCON 4i"),
    "TFS": ("FALCON IV", "FALCON 4i"),
    "Gatan": ("K2", "K2 SUMMIT", "K3", "K3 BIOQUANTUM", "UltraCam", "UltraScan"),
    "simulated": ("simulated",),
}
_WHOLE_TEMPLATE = re.compile(r"^\s*\{[A-Za-z0-9_-]+\}\s*$")


def check_camera_model(document: YamlDocument) -> Iterator[Finding]:
    """Warn when a tilt series' camera model is not one the portal lists for its manufacturer."""
    for path, metadata in metadata_of(document.data, "tiltseries"):
        camera = metadata.get("camera")
        if not isinstance(camera, dict):
            continue
        manufacturer, model = camera.get("manufacturer"), camera.get("model")
        if not isinstance(manufacturer, str) or not isinstance(model, str) or _WHOLE_TEMPLATE.match(model):
            continue
        models = KNOWN_CAMERA_MODELS.get(manufacturer)
        if models is None:
            yield finding_at(
                document,
                (*path, "camera", "manufacturer"),
                code="W-CAMERA-MODEL",
                severity=Severity.WARNING,
                message=f"camera manufacturer {show(manufacturer)} is not one the portal recognises",
                expected=f"one of {', '.join(KNOWN_CAMERA_MODELS)}",
                found=show(manufacturer),
            )
        elif model not in models:
            yield finding_at(
                document,
                (*path, "camera", "model"),
                code="W-CAMERA-MODEL",
                severity=Severity.WARNING,
                message=f"camera model {show(model)} is not one the portal lists for {manufacturer}",
                expected=f"one of {', '.join(models)}",
                found=show(model),
            )
