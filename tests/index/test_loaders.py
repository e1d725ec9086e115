from __future__ import annotations

import gzip
import hashlib
import json
import tracemalloc
from pathlib import Path

import pytest

from index.fetch import Fetcher
from index.ids import normalize_url, parse_date, url_id
from index.loaders import ArticleLoader, load_items, make_article, sniff_kind
from newsqa.errors import IngestError
from newsqa.types import Article, IngestFailure

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "h1_site"
BODY = (
    "The city council voted on Tuesday to raise downtown parking fees by 50 cents an hour, "
    "the first increase in a decade. Shop owners said the change would keep customers away."
)


def _split(results: list[Article | IngestFailure]) -> tuple[list[Article], list[IngestFailure]]:
    return [r for r in results if isinstance(r, Article)], [
        r for r in results if isinstance(r, IngestFailure)
    ]


def _record(**fields: object) -> str:
    base = {"title": "Parking fees rise", "url": "https://news.example.com/parking", "source": "example.com",
            "published": "2022-07-06", "text": BODY}  # fmt: skip
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None})


@pytest.fixture(scope="module")
def local_fetcher() -> Fetcher:
    return Fetcher(allow_private=True, timeout_s=5)


class TestMakeArticle:
    def test_metadata_from_url(self) -> None:
        art = make_article(
            BODY, url="https://WWW.Example.com/news/parking/?utm_source=tw#top", published="July 6, 2022"
        )
        assert art.id == url_id("https://www.example.com/news/parking") and len(art.id) == 16
        assert art.source == "example.com"
        assert art.published == "2022-07-06"
        assert (
            art.title
            == "The city council voted on Tuesday to raise downtown parking fees by 50 cents an hour, the first…"
        )
        assert len(art.title) <= 101
        assert art.content_hash == hashlib.sha256(art.text.encode()).hexdigest()
        assert art.ingested_at is None

    def test_given_id_is_kept_and_local_text_gets_content_id(self) -> None:
        assert make_article(BODY, id="abc123").id == "abc123"
        local = make_article(BODY)
        assert local.source == "local" and local.url is None
        assert local.id == make_article(BODY.replace(" ", "  ")).id  # whitespace does not change it

    def test_title_is_first_sentence_when_short(self) -> None:
        assert make_article("Fees rise. " + BODY).title == "Fees rise."

    @pytest.mark.parametrize("text", ["", "   \n  ", "Too short.", "abc\x00\x01\x02 binary junk here ok ok"])
    def test_unusable_text_raises(self, text: str) -> None:
        with pytest.raises(IngestError):
            make_article(text)

    def test_many_control_characters_mean_binary_but_tabs_and_form_feeds_do_not(self) -> None:
        with pytest.raises(IngestError, match="binary"):
            make_article(BODY + "\x01\x02\x1b\x0b" * (len(BODY) // 40))
        assert make_article("\t\f".join(BODY.split(" "))).text  # whitespace, however odd, is text
        assert make_article(BODY + "\x07").text  # one stray bell is noise

    def test_invalid_date_becomes_none(self) -> None:
        assert make_article(BODY, published="not a date at all").published is None


class TestParseDateAndUrls:
    @pytest.mark.parametrize(
        ("value", "iso"),
        [
            ("2022-07-06", "2022-07-06"),
            ("2022-07-06T23:30:00+02:00", "2022-07-06"),
            ("Wed, 06 Jul 2022 09:30:00 GMT", "2022-07-06"),
            ("July 6, 2022", "2022-07-06"),
            ("6 Jul 2022", "2022-07-06"),
            ("2022-13-45", None),
            ("yesterday-ish", None),
            (None, None),
            (12345, None),
        ],
    )
    def test_parse_date(self, value: object, iso: str | None) -> None:
        assert parse_date(value) == iso

    def test_normalize_url(self) -> None:
        assert (
            normalize_url("HTTPS://WWW.Ex.com:443/a/b/?utm_medium=x&id=3#frag")
            == "https://www.ex.com/a/b?id=3"
        )
        assert url_id("https://ex.com/") == url_id("https://ex.com")

    def test_sniff_kind(self) -> None:
        assert sniff_kind(b'<?xml version="1.0"?>\n<rss version="2.0">') == "feed"
        assert sniff_kind(b"<feed xmlns='http://www.w3.org/2005/Atom'>") == "feed"
        assert sniff_kind(b"<!DOCTYPE html><html>") == "html"
        assert sniff_kind(b"anything", "application/atom+xml") == "feed"
        assert sniff_kind(b'[{"text": 1}]') == "json"
        assert sniff_kind(b"plain words") == "text"


class TestLocalFiles:
    def test_text_markdown_html_json_and_jsonl(self, tmp_path: Path) -> None:
        (tmp_path / "a.txt").write_text(f"Parking fees rise downtown\n\n{BODY}\n", encoding="utf-8")
        (tmp_path / "b.md").write_text(
            f"---\nauthor: Ana Ruiz\ndate: 2022-07-07\n---\n# Fees up\n\n**{BODY}**"
        )
        (tmp_path / "c.html").write_bytes((FIXTURES / "story-one.html").read_bytes())
        (tmp_path / "d.json").write_text(_record(id="fixed-id"))
        (tmp_path / "e.jsonl").write_text(
            _record(url="https://ex.com/1") + "\n\n" + _record(url="https://ex.com/2")
        )
        arts, fails = _split(list(load_items([tmp_path])))
        assert fails == []
        txt, md, html, js, jl1, jl2 = arts
        assert (txt.title, txt.source, txt.text) == ("Parking fees rise downtown", "local", BODY)
        assert (md.title, md.author, md.published, md.text) == ("Fees up", "Ana Ruiz", "2022-07-07", BODY)
        assert html.title == "Harbor bridge reopens after two years of repairs"
        assert (html.author, html.published, html.source) == ("Jane Doe", "2022-07-06", "The Example Gazette")
        assert html.text.startswith("The Harbor Street bridge reopened")
        assert html.text.endswith("return within weeks.")
        for junk in ("Privacy Policy", "Related stories", "cookies", "Port workers vote"):
            assert junk not in html.text
        assert (js.id, js.source, js.published) == ("fixed-id", "example.com", "2022-07-06")
        assert [jl1.url, jl2.url] == ["https://ex.com/1", "https://ex.com/2"]

    def test_folder_is_recursive_sorted_and_skips_hidden_and_unknown(self, tmp_path: Path) -> None:
        for rel in ("b/z.txt", "b/a.txt", "a.txt", ".hidden/x.txt", ".dot.txt", "notes.csv"):
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{rel} — {BODY}")
        arts, fails = _split(list(load_items([tmp_path])))
        assert fails == []
        assert [a.text.split(" — ")[0] for a in arts] == ["a.txt", "b/a.txt", "b/z.txt"]

    def test_json_array_streams_and_reports_bad_elements(self, tmp_path: Path) -> None:
        path = tmp_path / "batch.json"
        path.write_text("[" + ",".join([_record(url="https://ex.com/1"), '{"title": "no text"}', "42",
                                         _record(url="https://ex.com/2")]) + "]")  # fmt: skip
        results = list(load_items([path]))
        assert [type(r).__name__ for r in results] == ["Article", "IngestFailure", "IngestFailure", "Article"]
        assert results[1] == IngestFailure(f"{path}[1]", "missing 'text'")
        assert "expected an article object" in results[2].error

    def test_truncated_json_keeps_complete_items(self, tmp_path: Path) -> None:
        path = tmp_path / "cut.json"
        path.write_text("[" + _record() + "," + _record(url="https://ex.com/2")[:40])
        arts, fails = _split(list(load_items([path])))
        assert len(arts) == 1
        assert [f.item for f in fails] == [str(path)]
        assert "JSON" in fails[0].error and "\n" not in fails[0].error

    def test_malformed_jsonl_lines_fail_alone(self, tmp_path: Path) -> None:
        path = tmp_path / "data.jsonl"
        lines = [_record(url="https://ex.com/1"), "{not json", '{"title": "x"}', "[1, 2]",
                 _record(url="https://ex.com/5", published="31/31/2022"), _record(text="\x00\x01PNG")]  # fmt: skip
        path.write_text("\n".join(lines) + "\n")
        arts, fails = _split(list(load_items([path])))
        assert [a.url for a in arts] == ["https://ex.com/1", "https://ex.com/5"]
        assert arts[1].published is None
        assert [f.item for f in fails] == [f"{path}:2", f"{path}:3", f"{path}:4", f"{path}:6"]
        assert fails[1].error == "missing 'text'"
        assert "binary" in fails[3].error

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("empty.txt", b"", "empty file"),
            ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary"),
            ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary"),
            ("short.txt", b"Hi.", "no article text"),
            ("bad.json", b'{"title": "x", "text": ', "JSON"),
        ],
    )
    def test_bad_files_fail_clearly(self, tmp_path: Path, name: str, content: bytes, message: str) -> None:
        (tmp_path / name).write_bytes(content)
        results = list(load_items([tmp_path / name, tmp_path / "missing.txt"]))
        assert [r.item for r in results] == [str(tmp_path / name), str(tmp_path / "missing.txt")]
        assert all(isinstance(r, IngestFailure) for r in results)
        assert message in results[0].error
        assert results[1].error == "no such file or folder"

    def test_undecodable_bytes_fall_back_to_cp1252(self, tmp_path: Path) -> None:
        path = tmp_path / "latin.txt"
        path.write_bytes(("Café owners in the old town said " + BODY).encode("cp1252"))
        (art,) = list(load_items([path]))
        assert isinstance(art, Article) and art.text.startswith("Café owners")

    def test_huge_files_fail_fast_without_memory_blowup(self, tmp_path: Path) -> None:
        big_txt = tmp_path / "big.txt"
        with big_txt.open("wb") as fh:
            fh.write(b"word " * 10_000_000)  # 50 MB
        big_jsonl = tmp_path / "big.jsonl"
        line = (_record() + "\n").encode()
        with big_jsonl.open("wb") as fh:
            fh.write(line * (50_000_000 // len(line)))
        tracemalloc.start()
        try:
            (fail,) = list(load_items([big_txt]))
            stream = load_items([big_jsonl])
            first_three = [next(stream) for _ in range(3)]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert isinstance(fail, IngestFailure) and "too large" in fail.error
        assert all(isinstance(r, Article) for r in first_three)
        assert peak < 10_000_000  # streamed: nowhere near the 50 MB on disk
        (over,) = list(load_items([big_jsonl], max_bulk_bytes=10_000_000))
        assert isinstance(over, IngestFailure) and "too large" in over.error

    def test_overlong_jsonl_line_is_skipped(self, tmp_path: Path) -> None:
        path = tmp_path / "long.jsonl"
        path.write_text(_record(text="x " * 5000) + "\n" + _record() + "\n")
        results = list(ArticleLoader(max_article_bytes=2000).load([path]))
        assert isinstance(results[0], IngestFailure) and results[0].item == f"{path}:1"
        assert isinstance(results[1], Article)


class TestGzipFiles:
    def test_gzipped_jsonl_streams_with_line_failures(self, tmp_path: Path) -> None:
        path = tmp_path / "dump.jsonl.gz"
        lines = [_record(url="https://ex.com/1"), "{not json", _record(url="https://ex.com/3")]
        path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
        arts, fails = _split(list(load_items([path])))
        assert [a.url for a in arts] == ["https://ex.com/1", "https://ex.com/3"]
        assert [f.item for f in fails] == [f"{path}:2"]

    def test_gzipped_text_and_gzip_found_by_its_bytes(self, tmp_path: Path) -> None:
        named = tmp_path / "story.txt.gz"
        named.write_bytes(gzip.compress(f"Parking fees rise\n\n{BODY}".encode()))
        unnamed = tmp_path / "export"  # no suffix: the gzip magic bytes say what it is
        unnamed.write_bytes(gzip.compress(("\n".join([_record(), _record(url="https://ex.com/2")])).encode()))
        arts, fails = _split(list(load_items([named, unnamed])))
        assert fails == []
        assert [a.title for a in arts] == ["Parking fees rise"] * 3
        assert arts[0].text == BODY

    def test_truncated_gzip_keeps_what_came_before(self, tmp_path: Path) -> None:
        data = gzip.compress(
            ("\n".join(_record(url=f"https://ex.com/{i}") for i in range(200)) + "\n").encode()
        )
        path = tmp_path / "cut.jsonl.gz"
        path.write_bytes(data[: len(data) // 2])
        arts, fails = _split(list(load_items([path])))
        assert 0 < len(arts) < 200
        assert [f.item for f in fails] == [str(path)]
        assert "compressed file ended" in fails[0].error.lower() or "gzip" in fails[0].error.lower()

    def test_limits_count_decompressed_bytes(self, tmp_path: Path) -> None:
        bomb = tmp_path / "bomb.txt.gz"  # 50 MB of text in 73 KB
        bomb.write_bytes(gzip.compress(b"word " * 10_000_000))
        tracemalloc.start()
        try:
            (fail,) = list(load_items([bomb]))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert isinstance(fail, IngestFailure) and "too large" in fail.error and "decompressed" in fail.error
        assert peak < 25_000_000  # stopped at the 5 MB article limit (a few copies), not at 50 MB
        notgz = tmp_path / "fake.jsonl.gz"
        notgz.write_bytes(b"plain text, not gzip at all " * 10)
        (fail,) = list(load_items([notgz]))
        assert isinstance(fail, IngestFailure) and "gzip" in fail.error

    def test_folders_read_gzipped_articles_but_not_archives(self, tmp_path: Path) -> None:
        (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(_record().encode()))
        (tmp_path / "backup.tar.gz").write_bytes(gzip.compress(b"\x00" * 1000))
        arts, fails = _split(list(load_items([tmp_path])))
        assert (len(arts), fails) == (1, [])


class TestUrlsAndFeeds:
    def test_article_page(self, h1_server: str, local_fetcher: Fetcher) -> None:
        url = f"{h1_server}/h1_site/story-two.html"
        (art,) = list(load_items([url], local_fetcher))
        assert isinstance(art, Article)
        assert (art.url, art.id, art.source) == (url, url_id(url), "127.0.0.1")
        assert (art.title, art.author, art.published) == (
            "Library opens late-night study hall for exam season", "Sam Patel", "2022-11-25")  # fmt: skip
        assert "Share this article" not in art.text and "Copyright" not in art.text

    def test_rss_feed_with_fallback_and_broken_entry(self, h1_server: str, local_fetcher: Fetcher) -> None:
        feed = f"{h1_server}/h1_site/feed.rss"
        arts, fails = _split(list(load_items([feed], local_fetcher)))
        assert [a.title for a in arts] == [
            "Harbor bridge reopens after two years of repairs",
            "Library opens late-night study hall for exam season",
            "Council delays vote on parking fees",
        ]
        # utm_* parameters are dropped from the id; the fallback uses the entry's own text and date.
        assert arts[0].id == url_id(f"{h1_server}/h1_site/story-one.html")
        assert arts[2].published == "2022-11-28" and "discount for short stays" in arts[2].text
        (fail,) = fails
        assert fail.item == f"{feed} entry 4 ({h1_server}/h1_site/missing.html)"
        assert "HTTP 404" in fail.error and "too short" in fail.error

    def test_atom_feed_and_detection_by_content(self, h1_server: str, local_fetcher: Fetcher) -> None:
        results = list(load_items([f"{h1_server}/h1_site/feed.atom", f"{h1_server}/h1_feed"], local_fetcher))
        arts, fails = _split(results)
        assert [a.title.split()[0] for a in arts[:2]] == ["Library", "Harbor"]
        assert arts[0].author == "Sam Patel"
        assert len(arts) == 5 and len(fails) == 1  # the extension-less URL served a feed

    def test_feed_file_offline_falls_back_to_entry_text(self, tmp_path: Path) -> None:
        path = tmp_path / "feed.xml"
        path.write_bytes((FIXTURES / "feed.rss").read_bytes())
        arts, fails = _split(list(load_items([path], None)))
        assert [a.title for a in arts] == ["Council delays vote on parking fees"]
        assert len(fails) == 3 and all("offline" in f.error for f in fails)

    def test_url_failures(self, h1_server: str, local_fetcher: Fetcher) -> None:
        items = [f"{h1_server}/h1_png", "http://127.0.0.1:9/closed", f"{h1_server}/h1_site/story-one.html"]
        results = list(load_items(items, local_fetcher))
        assert [r.item for r in results[:2]] == items[:2]
        assert "binary" in results[0].error and "cannot fetch" in results[1].error
        assert isinstance(results[2], Article)
        (no_fetcher,) = list(load_items(items[2:], None))
        assert isinstance(no_fetcher, IngestFailure) and "disabled" in no_fetcher.error

    def test_private_url_refused_by_default_fetcher(self, h1_server: str) -> None:
        (fail,) = list(load_items([f"{h1_server}/h1_site/story-one.html"], Fetcher()))
        assert isinstance(fail, IngestFailure) and "non-public address" in fail.error
