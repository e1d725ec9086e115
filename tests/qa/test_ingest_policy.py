"""qa.ingest_policy: what each entry point may ingest; POST /articles' upload names and spool clean-up."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from api.security import UploadSpool
from newsqa.types import IngestFailure, IngestSummary
from qa.ingest_policy import IngestPolicy, show_client_names
from tests.api.api_fakes import FakeIngestor, FakeStore
from tests.api.test_api import make_client

STORY = "Rain fell in Lahore on Tuesday and the city's drains overflowed, officials said."


@pytest.fixture
def upload_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads" / "ui"
    (folder / "abc123").mkdir(parents=True)
    (folder / "abc123" / "rain.txt").write_text(STORY)
    return folder


class TestRefusal:
    @pytest.mark.parametrize(
        "item",
        ["/etc/passwd", "/", "relative/notes.txt", "file:///etc/passwd", "ftp://example.com/a", "\x00"],
    )
    def test_the_chat_ui_refuses_local_paths_and_other_schemes(self, upload_folder: Path, item: str) -> None:
        reason = IngestPolicy.chat_ui(upload_folder).refusal(item)
        assert reason is not None and "the chat UI takes only uploaded files and http(s) URLs" in reason

    def test_the_chat_ui_takes_its_uploads_and_urls(self, upload_folder: Path) -> None:
        policy = IngestPolicy.chat_ui(upload_folder)
        assert policy.refusal(str(upload_folder / "abc123" / "rain.txt")) is None
        assert (
            policy.refusal("https://example.com/story") is None and policy.refusal("HTTP://x.org/a") is None
        )

    def test_no_folders_even_inside_the_upload_folder(self, upload_folder: Path) -> None:
        policy = IngestPolicy.chat_ui(upload_folder)
        for item in (str(upload_folder), str(upload_folder / "abc123"), str(upload_folder / "missing.txt")):
            assert "not an uploaded file" in (policy.refusal(item) or ""), item

    def test_symlinks_and_dot_dots_out_of_the_upload_folder_are_refused(
        self, upload_folder: Path, tmp_path: Path
    ) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text("not for clients")
        (upload_folder / "link.txt").symlink_to(secret)
        policy = IngestPolicy.chat_ui(upload_folder)
        assert policy.refusal(str(upload_folder / "link.txt")) is not None
        assert policy.refusal(f"{upload_folder}/abc123/../../../secret.txt") is not None

    def test_overlong_urls_are_refused(self) -> None:
        assert "longer than" in (IngestPolicy.http_api().refusal("https://x.org/" + "a" * 5000) or "")

    def test_the_http_api_takes_only_its_own_request_folder(
        self, upload_folder: Path, tmp_path: Path
    ) -> None:
        spool = tmp_path / "uploads" / "upload-1"
        spool.mkdir()
        (spool / "x_rain.txt").write_text(STORY)
        policy = IngestPolicy.http_api(spool)
        assert policy.refusal(str(spool / "x_rain.txt")) is None
        assert "the HTTP API takes only" in (policy.refusal(str(upload_folder / "abc123" / "rain.txt")) or "")
        assert "takes only http(s) URLs" in (IngestPolicy.http_api().refusal(str(spool / "x_rain.txt")) or "")

    def test_the_command_line_takes_paths_and_folders(self, tmp_path: Path) -> None:
        policy = IngestPolicy.command_line()
        assert policy.refusal(str(tmp_path)) is None and policy.refusal("notes.txt") is None


class TestIngest:
    def test_refused_items_are_reported_and_the_rest_go_in(self, upload_folder: Path) -> None:
        ingestor = FakeIngestor(FakeStore())
        upload = str(upload_folder / "abc123" / "rain.txt")
        summary = IngestPolicy.chat_ui(upload_folder).ingest(ingestor, ["/etc/passwd", upload, "/"])
        assert ingestor.ingested_paths == [upload] and summary.added == 1
        assert [f.item for f in summary.failed] == ["/etc/passwd", "/"]
        assert all("local paths are for the command line" in f.error for f in summary.failed)
        assert [i["status"] for i in summary.items] == ["failed", "failed", "added"]

    def test_nothing_allowed_never_calls_the_ingestor(self, upload_folder: Path) -> None:
        ingestor = FakeIngestor(FakeStore())
        summary = IngestPolicy.chat_ui(upload_folder).ingest(ingestor, ["/etc/hostname"])
        assert ingestor.ingested_paths == [] and len(summary.failed) == 1

    def test_client_names_replace_server_paths(self) -> None:
        spooled = "/srv/data/uploads/upload-x/3f2a_feed.jsonl"
        summary = IngestSummary(
            failed=[IngestFailure(f"{spooled}:2", "missing 'text'")],
            items=[{"id": None, "title": None, "status": "failed", "item": f"{spooled}:2"}],
        )
        show_client_names(summary, {spooled: "feed.jsonl"})
        assert summary.failed[0].item == summary.items[0]["item"] == "feed.jsonl:2"


class TestApiUploads:
    def test_reply_names_uploads_by_their_own_names(self, tmp_path: Path) -> None:
        client, services = make_client(tmp_path)
        services.ingestor.ingest = _failing_ingest(services.ingestor)
        files = [("files", ("my notes.txt", STORY.encode(), "text/plain"))]
        reply = client.post("/articles", files=files).json()
        assert reply["failed"][0]["item"] == "my notes.txt" and reply["items"][0]["item"] == "my notes.txt"
        assert "uploads" not in str(reply)

    def test_stale_spool_folders_are_removed_at_start_up(self, tmp_path: Path) -> None:
        spool = UploadSpool(tmp_path / "data" / "uploads")
        stale, fresh = spool.new_folder(), spool.new_folder()
        (stale / "x_left.txt").write_text(STORY)
        gradio_folder = spool.root / "ui"
        gradio_folder.mkdir()
        hour_ago = time.time() - 2 * 3600
        for path in (stale, gradio_folder):
            os.utime(path, (hour_ago, hour_ago))
        client, _ = make_client(tmp_path)
        with client:  # runs the app's start-up
            assert client.get("/healthz").status_code == 200
        assert not stale.exists() and fresh.exists() and gradio_folder.exists()

    def test_the_spool_folder_goes_when_ingesting_fails(self, tmp_path: Path) -> None:
        client, services = make_client(tmp_path)

        def crash(items: list[str], **kwargs: object) -> IngestSummary:
            raise RuntimeError("the store went away")

        services.ingestor.ingest = crash
        files = [("files", ("a.txt", STORY.encode(), "text/plain"))]
        assert client.post("/articles", files=files).status_code == 500
        assert list((tmp_path / "data" / "uploads").iterdir()) == []


def _failing_ingest(ingestor: FakeIngestor) -> Callable[..., IngestSummary]:
    """The fake's ingest, with every file reported failed under its path (as the real loaders do)."""

    def ingest(items: list[str], **kwargs: object) -> IngestSummary:
        ingestor.ingested_paths += items
        failed = [IngestFailure(item=item, error="binary content, not text") for item in items]
        rows = [{"id": None, "title": None, "status": "failed", "item": f.item} for f in failed]
        return IngestSummary(failed=failed, items=rows)

    return ingest
