"""Weight formats: how many bits a stored weight costs and which matmul path it takes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from specadvisor import paths
from specadvisor.errors import InputFileError
from specadvisor.schema import Field, validate_mapping
from specadvisor.yamlio import load_yaml_file

# Spellings seen in config.json (`torch_dtype`/`dtype`), quantization_config and GGUF file names.
_SYNONYMS = {
    "bfloat16": "bf16", "float16": "fp16", "half": "fp16", "float32": "fp32", "float": "fp32",
    "f16": "fp16", "f32": "fp32", "float8": "fp8", "fp8_e4m3": "fp8", "f8_e4m3": "fp8", "e4m3": "fp8",
    "w8a8": "fp8", "int4_awq": "int4", "awq": "int4", "gptq": "int4", "w4a16": "int4", "4bit": "int4",
    "8bit": "int8", "w8a16": "int8", "mlx_q4": "int4", "mlx_8bit": "int8",
}

_FORMAT_FIELDS = {
    "bits": Field(float, required=True, minimum=0.5, maximum=64),
    "compute": Field(str, required=True, choices=("bf16", "fp8")),
    "quantized": Field(bool, required=True),
    "source": Field(str, required=True),
    "dequant": Field(float, minimum=0),
}


@dataclass(frozen=True)
class WeightFormat:
    name: str
    bits: float
    compute: str
    quantized: bool
    source: str
    # Relative work of dequantizing one weight inside a matmul (0: none; see constants.yaml).
    dequant: float = 0.0

    @property
    def bytes_per_weight(self) -> float:
        return self.bits / 8.0


@lru_cache(maxsize=1)
def WEIGHT_FORMATS() -> dict[str, WeightFormat]:  # noqa: N802 - reads like the constant it is
    path = paths.constants_path()
    doc = load_yaml_file(path)
    table = doc.get("weight_formats") if isinstance(doc, dict) else None
    if not isinstance(table, dict):
        raise InputFileError(str(path), None, "weight_formats", "missing mapping")
    out = {}
    for name, raw in table.items():
        v = validate_mapping(raw, _FORMAT_FIELDS, str(path), f"weight_formats.{name}")
        out[str(name)] = WeightFormat(str(name), v["bits"], v["compute"], v["quantized"], v["source"],
                                      v["dequant"] or 0.0)
    return out


def canonical_format(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    return _SYNONYMS.get(key, key)


@lru_cache(maxsize=256)
def format_spec(name: str) -> WeightFormat:
    return WEIGHT_FORMATS()[canonical_format(name)]
