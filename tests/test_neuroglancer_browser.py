"""Seen in a real browser: the example tree is ingested with its Neuroglancer sources at a served URL
(``--url-prefix``), served on 127.0.0.1 with CORS, and a tomogram's state JSON is opened in the Neuroglancer client
the ``neuroglancer`` package ships (its Python ``Viewer``) in headless Chromium (Debian's ``chromium`` and
``chromium-driver``, which ``.ci/run`` installs). Every layer must load without error and fetch its data from the
tree, and the screenshot must show the tomogram and the mask; it is kept under the test's tmp dir."""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.pipeline.example import write_example
from tests.conftest import free_port
from tests.ingest_cli import ingest
from tests.test_execute_meshes import mesh_example

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None, reason="chromium and chromedriver are not installed (.ci/run does)"
    ),
    pytest.mark.slow,
]

STATE = "90001/TS_001/Reconstructions/VoxelSpacing10.000/NeuroglancerPrecompute/100-neuroglancer_config.json"
PROBES = {"zarr.json", ".zarray", ".zattrs", ".zgroup"}  # what the client tries before it knows a zarr's version
METADATA = {*PROBES, "info"}

LAYER_STATES = """
return window.viewer === undefined ? null : window.viewer.layerManager.managedLayers.map(managed => ({
  name: managed.name,
  ready: managed.isReady(),
  sources: managed.layer === null ? [] : managed.layer.dataSources.map(source => {
    const state = source.loadState;
    if (state === undefined) return "loading";
    return state.error !== undefined ? "error: " + state.error.message : "loaded";
  }),
}));
"""


class _TreeServer(http.server.SimpleHTTPRequestHandler):
    """Serves the tree with CORS and byte ranges (as S3 does: sharded indices are read by range); records every
    request's path and status."""

    requests: list[tuple[str, int]]

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "Content-Range")
        super().end_headers()

    def do_GET(self) -> None:
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if match is None or not path.is_file():
            super().do_GET()
            return
        data = path.read_bytes()
        start, end = int(match[1]), min(int(match[2]), len(data) - 1)
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end + 1 - start))
        self.end_headers()
        self.wfile.write(data[start : end + 1])

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.requests.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serve(root: Path, config: Path) -> Iterator[tuple[Path, str, list[tuple[str, int]]]]:
    """The tree ``config`` ingests under ``root / "out"`` (its sources at the served URL), served on 127.0.0.1:
    the tree, the URL and the requests the server answered."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    report = ingest(config, root / "out", "--url-prefix", url)
    assert report["ok"] is True, report
    requests: list[tuple[str, int]] = []
    handler = type("Handler", (_TreeServer,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=root / "out"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root / "out", url, requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, list[tuple[str, int]]]]:
    """The ingested example tree, the URL it is served at, and the requests the server answered."""
    root = tmp_path_factory.mktemp("browser")
    write_example(root / "example")
    with _serve(root, root / "example/example.yaml") as tree:
        yield tree


@pytest.fixture(scope="module")
def served_meshes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, list[tuple[str, int]]]]:
    """The example with mesh annotations and oriented points shown as meshes (:mod:`tests.test_execute_meshes`),
    served."""
    root = tmp_path_factory.mktemp("browser-meshes")
    with _serve(root, mesh_example(root)) as tree:
        yield tree


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by selenium through Debian's chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--window-size=1200,900",
        "--use-angle=swiftshader",  # WebGL without a GPU
        "--enable-unsafe-swiftshader",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for_layers(driver: Any, seconds: float = 90) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    layers: list[dict[str, Any]] | None = None
    while time.monotonic() < deadline:
        layers = driver.execute_script(LAYER_STATES)
        if layers and all(layer["ready"] for layer in layers):
            return layers
        time.sleep(0.5)
    pytest.fail(f"the layers did not finish loading within {seconds} s: {layers}")


def test_the_state_loads_every_layer_in_chromium_and_renders(
    served: tuple[Path, str, list[tuple[str, int]]], browser: Any, tmp_path: Path
) -> None:
    from PIL import Image

    out, url, requests = served
    state = json.loads((out / STATE).read_text())
    viewer = _open(state, browser)

    shot = viewer.screenshot(size=[800, 600]).screenshot  # waits until the visible chunks are drawn
    path = tmp_path / "neuroglancer-screenshot.png"
    path.write_bytes(shot.image)
    print(f"\nscreenshot: {path}")
    pixels = np.asarray(Image.open(io.BytesIO(shot.image)).convert("RGB")).astype(float)
    assert pixels.std() > 10, "blank screenshot"
    segmentation = next(layer for layer in state["layers"] if layer["type"] == "segmentation")
    color = np.array([int(segmentation["segmentDefaultColor"][i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    assert (np.abs(pixels - color).max(axis=-1) < 40).sum() > 500, "the mask is not drawn"

    # every visible layer read its data from the tree: image chunks, precomputed points and segmentation chunks
    visible = [layer for layer in state["layers"] if layer["visible"]]
    assert {layer["type"] for layer in visible} == {"image", "annotation", "segmentation"}
    _assert_read_from_tree(visible, url, requests)
    # the mask's segment mesh (the segmentation info's ``mesh``) is fetched for the 3-D view: manifest and fragment
    folder = "/" + segmentation["source"]["url"].split("://", 1)[1].removeprefix(url)
    assert {f"{folder}/mesh/1:0", f"{folder}/mesh/1:0:0"} <= {path for path, status in requests if status == 200}
    missing = [path for path, status in requests if status != 200 and path.rsplit("/", 1)[-1] not in PROBES]
    assert missing == []


SELECTED = """
const managed = window.viewer.layerManager.getLayerByName(arguments[0]);
if (managed === undefined || managed.layer === null) return "no layer";
const reference = managed.layer.annotationStates.states[0].source.references.get(arguments[1]);
if (reference === undefined) return "no reference";
if (reference.value === undefined) return "pending";
if (reference.value === null) return "not found";
return {id: reference.value.id, point: Array.from(reference.value.point), properties: reference.value.properties};
"""


def test_a_point_selected_by_id_is_read_from_the_sharded_by_id_index(
    served: tuple[Path, str, list[tuple[str, int]]], browser: Any
) -> None:
    """A state that selects the point annotation of id 1 makes the client look it up in ``by_id``: it reads the
    shard index, the minishard index and the record of ``by_id/0.shard`` by byte ranges, and the annotation it
    gets is the second point of the ndJSON file."""
    out, url, requests = served
    state = json.loads((out / STATE).read_text())
    points = next(layer for layer in state["layers"] if layer["type"] == "annotation" and layer["visible"])
    state["selection"] = {
        "layers": {points["name"]: {"annotationId": "1", "annotationSource": 0, "annotationSubsource": "default"}},
        "visible": True,
    }
    del requests[:]
    _open(state, browser)
    deadline = time.monotonic() + 60
    while isinstance(found := browser.execute_script(SELECTED, points["name"], "1"), str) and found == "pending":
        assert time.monotonic() < deadline, "the selected annotation was not read within 60 s"
        time.sleep(0.5)
    assert isinstance(found, dict), found
    folder = out / points["source"]["url"].split("://", 1)[1].removeprefix(url)  # {annotation id}-{file stem}
    shard = "/" + (folder / "by_id/0.shard").relative_to(out).as_posix()
    assert [status for path, status in requests if path == shard] == [206, 206, 206]
    annotation_id, _, stem = folder.name.partition("-")
    ndjson = folder.parent.parent / "Annotations" / annotation_id / f"{stem}.ndjson"
    second = json.loads(ndjson.read_text().splitlines()[1])["location"]
    assert found["id"] == "1"
    assert found["point"] == pytest.approx([second[axis] for axis in "xyz"], abs=1e-4)


def test_mesh_layers_load_their_meshes_in_chromium(
    served_meshes: tuple[Path, str, list[tuple[str, int]]], browser: Any
) -> None:
    """The mesh layers (a mesh annotation, oriented points shown as copies of their mesh) load and read their
    meshes from the tree. Their layer settings (the portal's) enable the volume subsource too, so the client also
    asks for ``data/`` chunks that a mesh-only folder does not have (as the portal's own folders): those are the
    only requests allowed to fail besides the zarr version probes."""
    out, url, requests = served_meshes
    state = json.loads((out / STATE).read_text())
    visible = [layer for layer in state["layers"] if layer["visible"]]
    meshes = [layer for layer in visible if layer["source"].get("subsources", {}).get("mesh")]
    assert {layer["name"].rsplit(" ", 1)[-1] for layer in meshes} == {"mesh", "orientedmesh"}
    viewer = _open(state, browser)
    viewer.screenshot(size=[800, 600])  # waits until the visible chunks and meshes are drawn
    _assert_read_from_tree(visible, url, requests)
    for layer in meshes:  # the mesh itself: the manifest and its fragment
        source = layer["source"]["url"].split("://", 1)[1].removeprefix(url)
        assert {f"/{source}/mesh/1:0", f"/{source}/mesh/1:0:0"} <= {path for path, status in requests if status == 200}
    folders = tuple(f"/{layer['source']['url'].split('://', 1)[1].removeprefix(url)}/data/" for layer in meshes)
    missing = [
        path
        for path, status in requests
        if status != 200 and path.rsplit("/", 1)[-1] not in PROBES and not path.startswith(folders)
    ]
    assert missing == []


def _open(state: dict[str, Any], browser: Any) -> Any:
    """Open ``state`` in the browser through a local ``neuroglancer.Viewer``; every layer must load."""
    import neuroglancer

    neuroglancer.set_server_bind_address("127.0.0.1")
    viewer = neuroglancer.Viewer()
    viewer.set_state(neuroglancer.ViewerState(state))
    browser.get(viewer.get_viewer_url())
    layers = _wait_for_layers(browser)
    assert [layer["name"] for layer in layers] == [layer["name"] for layer in state["layers"]]
    for layer in layers:
        assert layer["sources"] == ["loaded"], layer
    return viewer


def _assert_read_from_tree(layers: list[dict[str, Any]], url: str, requests: list[tuple[str, int]]) -> None:
    """Each of ``layers`` fetched something from its folder besides metadata files."""
    answered = {path for path, status in requests if status == 200}
    for layer in layers:
        source = layer["source"]["url"].split("://", 1)[1].removeprefix(url)
        assert any(path.startswith(f"/{source}/") and path.rsplit("/", 1)[-1] not in METADATA for path in answered), (
            source
        )
