"""Regenerate the committed models from the LinkML schema: ``python -m ingest.models.generate [OUTPUT_DIR]``.

For each schema of ``SCHEMA_NAMES`` in ``schema/`` this writes, into ``ingest/models/`` by default:

- ``<name>_generated.py``: pydantic v2 models from linkml's PydanticGenerator (unknown keys forbidden, frozen);
- ``<name>.py``: a small module re-exporting every public name of the generated one (the import path to use);
- ``<name>.schema.json``: JSON Schema from linkml's JsonSchemaGenerator, for editor completion.

linkml is a development dependency, imported only here. Output is deterministic (no dates or tool versions), so
``tests/test_models_drift.py`` can regenerate into a temporary folder and compare bytes.

Types with a ``repr`` and a ``pattern`` or bounds (identifier types such as ``GoId``, the templated numbers such as
``FloatFormattedString``, ``TiltSeriesQualityScore``) become ``Annotated`` aliases named by their ``repr``:
linkml's pydantic generator renders a type's ``repr`` as its Python annotation but does not enforce the type's
pattern or bounds itself; the aliases make pydantic enforce them wherever the type is used, including inside
``any_of`` unions (``float | FloatFormattedString``).
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = MODELS_DIR.parents[1] / "schema"
TEMPLATE_DIR = MODELS_DIR / "templates"
SCHEMA_NAMES: tuple[str, ...] = ("ingestion_config", "metadata_files")
_INTERNAL_NAMES = frozenset({"ConfiguredBaseModel", "LinkMLMeta", "linkml_meta", "metamodel_version", "version"})
_BASE_PYTHON_TYPES = {"integer": "int", "float": "float", "double": "float"}
_UNSTABLE_JSON_KEYS = ("metamodel_version", "version", "generation_date", "source_file_date", "source_file_size")


def constrained_type_aliases(types: Iterable[Any]) -> list[str]:
    """Python alias definitions for the constrained types among ``types`` (linkml TypeDefinitions), sorted.

    A type with a ``repr`` and a ``pattern`` becomes ``Annotated[str, StringConstraints(pattern=...)]``; one with
    a ``repr`` and ``minimum_value``/``maximum_value`` becomes ``Annotated[int, Field(ge=..., le=...)]``. The
    ``Tag`` names the type in the error locations of unions (``id.GoId`` rather than ``id.constrained-str``).
    """
    aliases = []
    for type_def in types:
        if not type_def.repr:
            continue
        if type_def.pattern:
            base, constraint = "str", f"StringConstraints(pattern={type_def.pattern!r})"
        elif type_def.minimum_value is not None or type_def.maximum_value is not None:
            bounds = [f"ge={type_def.minimum_value!r}"] if type_def.minimum_value is not None else []
            bounds += [f"le={type_def.maximum_value!r}"] if type_def.maximum_value is not None else []
            base, constraint = _BASE_PYTHON_TYPES[type_def.typeof], f"Field({', '.join(bounds)})"
        else:
            continue
        aliases.append(f"{type_def.repr} = Annotated[{base}, {constraint}, Tag({type_def.repr!r})]")
    return sorted(aliases)


def render_pydantic(schema_path: Path) -> str:
    """The generated pydantic module for one schema file."""
    from linkml.generators.pydanticgen import PydanticGenerator
    from linkml.generators.pydanticgen.template import Import, Imports, ObjectImport

    extra_imports = (
        Imports()
        + Import(module="typing", objects=[ObjectImport(name="Annotated")])
        + Import(module="pydantic", objects=[ObjectImport(name="StringConstraints"), ObjectImport(name="Tag")])
    )
    generator = PydanticGenerator(
        str(schema_path),
        extra_fields="forbid",
        metadata_mode=None,
        template_dir=str(TEMPLATE_DIR),
        imports=extra_imports,
    )
    generator.injected_classes = constrained_type_aliases(generator.schemaview.all_types().values())
    return _tidy(str(generator.serialize()))


def render_json_schema(schema_path: Path) -> str:
    """The JSON Schema for one schema file, without tool versions or dates."""
    from linkml.generators.jsonschemagen import JsonSchemaGenerator

    document: dict[str, Any] = json.loads(JsonSchemaGenerator(str(schema_path)).serialize())
    for key in _UNSTABLE_JSON_KEYS:
        document.pop(key, None)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_reexport(name: str, generated_code: str) -> str:
    """The hand-importable module re-exporting every public top-level name of the generated code."""
    tree = ast.parse(generated_code)
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    public = sorted((n for n in names if n not in _INTERNAL_NAMES and not n.startswith("_")), key=str.lower)
    lines = [
        f'"""Models of ``schema/{name}.yaml``: the public names of ``ingest.models.{name}_generated``.',
        "",
        "Generated by ``python -m ingest.models.generate``; do not edit by hand.",
        '"""',
        "",
        f"from ingest.models.{name}_generated import (",
        *(f"    {n}," for n in public),
        ")",
        "",
        "__all__ = [",
        *(f'    "{n}",' for n in sorted(public)),
        "]",
        "",
    ]
    return "\n".join(lines)


def _tidy(code: str) -> str:
    """Strip trailing spaces and collapse runs of blank lines, so the file diffs cleanly."""
    out: list[str] = []
    blank = 0
    for line in code.splitlines():
        line = line.rstrip()
        blank = blank + 1 if not line else 0
        if blank <= 2:
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def generate(output_dir: Path = MODELS_DIR, schema_dir: Path = SCHEMA_DIR) -> list[Path]:
    """Write every generated file into ``output_dir``; returns the paths written."""
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SCHEMA_NAMES:
        schema_path = schema_dir / f"{name}.yaml"
        code = render_pydantic(schema_path)
        outputs = {
            f"{name}_generated.py": code,
            f"{name}.py": render_reexport(name, code),
            f"{name}.schema.json": render_json_schema(schema_path),
        }
        for file_name, text in outputs.items():
            path = output_dir / file_name
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else MODELS_DIR
    for path in generate(target):
        print(path)
