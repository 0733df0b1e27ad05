"""Exporting a model's transformer to ONNX once, and its int8 quantisation, in a cache folder.

sentence-transformers' own ``backend="onnx"`` needs optimum, which pins an
older transformers than this project uses; this is the same export without it.
Exports are keyed by the model folder's fingerprint and ``EXPORT_FORMAT``, so a changed model,
or a change in how it is exported, is exported again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from pathlib import Path

from index.embed.runtime import quiet_transformers

log = logging.getLogger(__name__)

# 2: attention exported from transformers' "eager" implementation (matrix products, an additive
# mask, softmax) rather than its SDPA one, whose traced graph masks every layer's scores with
# ``Where`` and extra shape arithmetic: the same vectors (within 1e-5), about 12 % less CPU time
# per batch on our 2-core machine.  onnxruntime's BERT fusions (Attention, SkipLayerNormalization,
# BiasGelu) were tried on top and made it no faster here.
EXPORT_FORMAT = 2


def onnx_cache_dir() -> Path:
    """The default export cache: $CRISISBOT_ONNX_CACHE, else the user cache.  The one place it is decided."""
    explicit = os.environ.get("CRISISBOT_ONNX_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "crisisbot" / "onnx"


def model_fingerprint(folder: Path) -> str:
    """Changes when the model's files do: names, sizes and modification times."""
    digest = hashlib.sha256(str(folder).encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def exported_model(folder: Path, cache: Path, *, quantized: bool = False) -> Path:
    """The ONNX file for the model in ``folder`` (int8 if ``quantized``), made the first time it is asked for."""
    target = cache / f"{folder.name}-{model_fingerprint(folder)}-e{EXPORT_FORMAT}"
    model_file = target / "model.onnx"
    if not model_file.exists():
        export(folder, model_file)
    if not quantized:
        return model_file
    int8_file = target / "model_int8.onnx"
    if not int8_file.exists():
        quantize(model_file, int8_file)
    return int8_file


def export(folder: Path, target: Path) -> None:
    """The transformer (inputs: ids, attention mask, token types; output: last hidden state) with torch.onnx."""
    import torch
    from transformers import AutoModel

    quiet_transformers()
    log.info("exporting %s to ONNX at %s (once)", folder, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    transformer = AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):  # positional inputs, one output
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            output = self.transformer(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return output.last_hidden_state

    model = LastHiddenState().eval()
    sample = torch.ones((1, 8), dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    axes["last_hidden_state"] = {0: "batch", 1: "tokens"}
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about branches that do not apply here
        torch.onnx.export(
            model, (sample, sample, torch.zeros_like(sample)), str(tmp), input_names=names,
            output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False,
        )
    os.replace(tmp, target)


def quantize(source: Path, target: Path) -> None:
    """onnxruntime's dynamic int8 quantisation of the weights of the matrix products."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("quantising %s to int8 at %s (once)", source, target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    os.replace(tmp, target)
