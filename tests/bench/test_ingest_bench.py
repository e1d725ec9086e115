"""bench.ingest end to end on a tiny corpus with the real (int8 ONNX) model: the numbers are noise,
the plumbing (rounds, fresh dirs, the ceiling on the very chunks written) is what is checked."""

from __future__ import annotations

from pathlib import Path

from bench.ingest import IngestBenchmark
from newsqa.settings import Settings

RAW = [
    {
        "id": f"b{i}",
        "title": f"Story {i}",
        "text": f"The council of town number {i} voted on the budget on Monday. " * 12,
        "source": "x.com",
        "published": "2022-07-01",
    }
    for i in range(3)
] + [
    {
        "id": "copy",
        "title": "Copy",
        "text": "The council of town number 0 voted on the budget on Monday. " * 12,
    }
]


class TestIngestBenchmark:
    def test_rounds_alternate_and_the_best_counts(self, tmp_path: Path) -> None:
        bench = IngestBenchmark(Settings(data_dir=tmp_path))
        result = bench.run(RAW, backend="onnx-int8", data_dir=tmp_path / "idx", repeats=2)
        assert result["repeats"] == 2
        assert len(result["ingest_s_runs"]) == len(result["encode_s_runs"]) == 2
        assert result["ingest_s"] == min(result["ingest_s_runs"])
        assert result["encode_s"] == min(result["encode_s_runs"])
        assert (result["articles_written"], result["duplicates"]) == (3, 1)  # the copy is a reprint
        assert result["chunks"] == result["encode_chunks"] == len(bench.last_texts) >= 3
        assert result["batch_size"] == 8
        assert (tmp_path / "idx" / "chroma").is_dir() and (tmp_path / "idx-round2" / "chroma").is_dir()
