"""Turn the pinned botocore ECR service model into the JSON Schemas under ``schemas/``.

    python -m ecrconf.spec.schemagen          # (re)write schemas/
    python -m ecrconf.spec.schemagen --check  # exit 1 if schemas/ differs from what the model gives

Every input, output and error shape of every operation becomes one self-contained draft-07
schema (nested shapes inlined; the ECR model has no recursive shapes). Patterns are wrapped
as ``^(?:...)$`` because the service matches whole values, while JSON Schema searches.
Inputs forbid unknown members, so that generated requests hold only modelled members;
outputs and errors allow them, because awsJson clients must ignore members they do not know.
The model's paginators (``paginators-1.json``) are copied as they are to ``schemas/paginators.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import botocore
from botocore.loaders import Loader

from ecrconf import paths

SERVICE = "ecr"
SCHEMA_ROOT = paths.data("schemas")
DRAFT = "http://json-schema.org/draft-07/schema#"
BASE64 = "^[A-Za-z0-9+/]*={0,2}$"


def load_service_model() -> dict:
    return Loader().load_service_model(SERVICE, "service-2")


def load_paginators() -> dict:
    """The model's paginators (botocore ``paginators-1.json``): {operation: {input_token, output_token,
    limit_key, result_key, ...}}, as botocore gives them."""
    return Loader().load_service_model(SERVICE, "paginators-1")["pagination"]


def full_match(pattern: str) -> str:
    return f"^(?:{pattern})$"


class _Converter:
    def __init__(self, shapes: dict, *, closed: bool):
        self.shapes = shapes
        self.closed = closed

    def convert(self, name: str) -> dict:
        shape = self.shapes[name]
        kind = shape["type"]
        if kind == "structure":
            schema = {
                "type": "object",
                "properties": {m: self.convert(ref["shape"]) for m, ref in shape["members"].items()},
            }
            if shape.get("required"):
                schema["required"] = list(shape["required"])
            if self.closed:
                schema["additionalProperties"] = False
            return schema
        if kind == "string":
            schema = {"type": "string"}
            if "enum" in shape:
                schema["enum"] = list(shape["enum"])
            if "pattern" in shape:
                schema["pattern"] = full_match(shape["pattern"])
            _bounds(schema, shape, "minLength", "maxLength")
            return schema
        if kind in ("integer", "long"):
            return _bounds({"type": "integer"}, shape, "minimum", "maximum")
        if kind in ("double", "float"):
            return _bounds({"type": "number"}, shape, "minimum", "maximum")
        if kind == "boolean":
            return {"type": "boolean"}
        if kind == "timestamp":
            # awsJson1_1 sends timestamps as epoch seconds, possibly fractional.
            return {"type": "number"}
        if kind == "blob":
            # On the wire a blob is base64 text, while the model bounds its decoded bytes: no character
            # count says that exactly, so the bounds are kept as bytes, for the checks that know blobs.
            return _bounds({"type": "string", "contentEncoding": "base64", "pattern": BASE64}, shape,
                           "x-minBytes", "x-maxBytes")
        if kind == "list":
            return _bounds({"type": "array", "items": self.convert(shape["member"]["shape"])}, shape,
                           "minItems", "maxItems")
        if kind == "map":
            return _bounds({
                "type": "object",
                "propertyNames": self.convert(shape["key"]["shape"]),
                "additionalProperties": self.convert(shape["value"]["shape"]),
            }, shape, "minProperties", "maxProperties")
        raise ValueError(f"shape {name!r} has type {kind!r}, which the generator does not know")


def _bounds(schema: dict, shape: dict, low: str, high: str) -> dict:
    if "min" in shape:
        schema[low] = shape["min"]
    if "max" in shape:
        schema[high] = shape["max"]
    return schema


def _document(title: str, body: dict) -> dict:
    return {"$schema": DRAFT, "title": title, **body}


def build(model: dict) -> dict[str, object]:
    """Return {relative path: JSON document} for everything under schemas/."""
    shapes = model["shapes"]
    closed, open_ = _Converter(shapes, closed=True), _Converter(shapes, closed=False)
    files: dict[str, object] = {}
    operations = {}
    errors: set[str] = set()
    for op_name in sorted(model["operations"]):
        op = model["operations"][op_name]
        op_errors = sorted(e["shape"] for e in op.get("errors", []))
        errors.update(op_errors)
        operations[op_name] = {
            "input": op.get("input", {}).get("shape"),
            "output": op.get("output", {}).get("shape"),
            "errors": op_errors,
        }
        if "input" in op:
            files[f"input/{op_name}.json"] = _document(op["input"]["shape"], closed.convert(op["input"]["shape"]))
        else:
            files[f"input/{op_name}.json"] = _document(f"{op_name} (no input)", {"type": "object",
                                                                                  "additionalProperties": False})
        if "output" in op:
            files[f"output/{op_name}.json"] = _document(op["output"]["shape"], open_.convert(op["output"]["shape"]))
    for error in sorted(errors):
        shape = shapes[error]
        body = open_.convert(error)
        body["x-fault"] = bool(shape.get("fault"))
        files[f"errors/{error}.json"] = _document(error, body)
    files["operations.json"] = operations
    return files


def source(model_bytes: bytes, model: dict) -> dict:
    return {
        "service": SERVICE,
        "apiVersion": model["metadata"]["apiVersion"],
        "targetPrefix": model["metadata"]["targetPrefix"],
        "jsonVersion": model["metadata"]["jsonVersion"],
        "signingName": model["metadata"]["signingName"],
        "botocoreVersion": botocore.__version__,
        "modelSha256": hashlib.sha256(model_bytes).hexdigest(),
    }


def render(document: object) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def expected_files() -> dict[str, str]:
    model = load_service_model()
    canonical = json.dumps(model, sort_keys=True, separators=(",", ":")).encode()
    files = {path: render(doc) for path, doc in build(model).items()}
    files["source.json"] = render(source(canonical, model))
    files["paginators.json"] = render(load_paginators())
    return files


def generated_paths(root: Path) -> set[str]:
    """The files under root that the generator owns (hand-written data is left alone)."""
    owned = {"operations.json", "source.json", "paginators.json"}
    for folder in ("input", "output", "errors"):
        owned.update(f"{folder}/{p.name}" for p in (root / folder).glob("*.json"))
    return {p for p in owned if (root / p).exists()}


def drift(root: Path = SCHEMA_ROOT) -> list[str]:
    """Describe every difference between root and what the model gives; empty when in sync."""
    expected = expected_files()
    problems = []
    for path in sorted(set(expected) | generated_paths(root)):
        target = root / path
        if path not in expected:
            problems.append(f"{path}: not produced by the model any more")
        elif not target.exists():
            problems.append(f"{path}: missing")
        elif target.read_text() != expected[path]:
            problems.append(f"{path}: differs from the model")
    return problems


def write(root: Path = SCHEMA_ROOT) -> int:
    expected = expected_files()
    for stale in generated_paths(root) - set(expected):
        (root / stale).unlink()
    for path, text in expected.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return len(expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecrconf.spec.schemagen", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift instead of writing")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift()
        for line in problems:
            print(line)
        print("schemas/ is in sync with the model" if not problems else f"{len(problems)} file(s) drifted")
        return 1 if problems else 0
    print(f"wrote {write()} files under {SCHEMA_ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
