"""The `newsarchive` command as a user runs it: demo, replica, extract on an HTML file."""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import BIN, ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_replica_command_serves_until_stopped() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "newsarchive"), "replica", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"127.0.0.1:{port}" in line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=10) as resp:
            robots = resp.read().decode()
        assert "Disallow: /menafn.com/search" in robots
        # The hostile outlet is served only on request (--hostile): never to the demo's crawls.
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/hostile.example/", timeout=10)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_replica_command_serves_the_hostile_outlet_on_request() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "newsarchive"), "replica", "--hostile", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        assert f"127.0.0.1:{port}" in proc.stdout.readline()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hostile.example/", timeout=10) as resp:
            assert resp.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_demo_crawls_the_replica_and_summarises(tmp_path: Path) -> None:
    output = tmp_path / "out"
    proc = subprocess.run(
        [str(BIN / "newsarchive"), "demo", "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = proc.stdout
    assert "menafn" in summary and "WARC files" in summary and "rejected by verdict" in summary
    articles = [json.loads(line) for line in (output / "articles.jsonl").read_text().splitlines()]
    assert len(articles) >= 8
    assert list((output / "warc").glob("*.warc.gz"))
    assert list((output / "text" / "menafn").glob("*.txt"))
    # Running the demo again replaces its own folder instead of appending to it.
    again = subprocess.run(
        [str(BIN / "newsarchive"), "demo", "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert again.returncode == 0
    assert len((output / "articles.jsonl").read_text().splitlines()) == len(articles)


def test_demo_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    proc = subprocess.run(
        [str(BIN / "newsarchive"), "demo", "--output", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    assert "did not write" in proc.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_extract_html_file_needs_url(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body><h1>Hi</h1></body></html>")
    proc = subprocess.run([str(BIN / "newsarchive"), "extract", str(page)], capture_output=True, text=True)
    assert proc.returncode != 0 and "--url" in proc.stderr


def test_extract_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(BIN / "newsarchive"), "extract", str(tmp_path / "nope.warc.gz")], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_extract_html_file_with_url(tmp_path: Path) -> None:
    paragraphs = [f"Paragraph {i} of a story about the harbour, with enough words to count as text." for i in range(6)]
    html = (
        "<html lang='en'><head><title>Harbour reopens | Example</title></head><body>"
        "<article><h1>Harbour reopens</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article></body></html>"
    )
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    proc = subprocess.run(
        [str(BIN / "newsarchive"), "extract", str(page), "--url", "https://example.org/news/1"],
        capture_output=True, text=True, check=True,
    )
    record = json.loads(proc.stdout)
    assert record["outlet"] is None
    assert record["verdict"] == "article"
    assert record["text"].split("\n\n") == paragraphs
    for key in ("url", "verdict_reasons", "title", "authors", "published", "language", "encoding"):
        assert key in record
