"""`make bench`: pages per second of the pipeline beside pdftotext and pypdfium2, in the same run.

The corpus is generated: 20 text PDFs of 10 pages each, their text cut from the example records'
sources, so that the extractors see realistic clinical prose and tables of values.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pypdfium2
from fpdf import FPDF

from oncoguide.paths import DEV_SET, EXAMPLES, REPO_ROOT

CORPUS = REPO_ROOT / "bench" / "corpus"
FILES, PAGES_PER_FILE, CHARS_PER_PAGE = 20, 10, 2_600


def build_corpus() -> list[Path]:
    text = "\n\n".join(path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*/sources/*.txt")))
    if not text:
        sys.exit("bench: no example sources under examples/*/sources to build the corpus from")
    text = text.encode("latin-1", "replace").decode("latin-1")
    CORPUS.mkdir(parents=True, exist_ok=True)
    paths = []
    offset = 0
    for number in range(FILES):
        path = CORPUS / f"case-{number:02d}.pdf"
        paths.append(path)
        if path.exists():
            continue
        pdf = FPDF()
        pdf.set_font("Helvetica", size=9)
        for _ in range(PAGES_PER_FILE):
            pdf.add_page()
            chunk = (text * 2)[offset : offset + CHARS_PER_PAGE]
            offset = (offset + CHARS_PER_PAGE) % len(text)
            pdf.multi_cell(0, 4, chunk)
        pdf.output(str(path))
    return paths


def page_count(paths: list[Path]) -> int:
    return sum(len(pypdfium2.PdfDocument(path)) for path in paths)


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    from extractors.findings import extract_document
    from extractors.ingest import read_document
    from oncoguide.pipeline import analyze, text_document
    from oncoguide.render import render_html, render_markdown

    paths = build_corpus()
    pages = page_count(paths)
    rows: list[tuple[str, int, float]] = []

    if shutil.which("pdftotext"):
        rows.append(("pdftotext (poppler)", pages, timed(lambda: [_pdftotext(p) for p in paths])))

    def pdfium_text() -> None:
        for path in paths:
            for page in pypdfium2.PdfDocument(path):
                page.get_textpage().get_text_range()

    rows.append(("pypdfium2 text only", pages, timed(pdfium_text)))
    documents = []
    rows.append(("ingest (read_document)", pages, timed(lambda: documents.extend(map(read_document, paths)))))
    extract_document(documents[0])  # load the NLP pipeline and compile the lexicons outside the timings
    rows.append(("extraction only", pages, timed(lambda: [extract_document(d) for d in documents])))

    def whole_pipeline() -> None:
        for path in paths:  # each file one case: read, extract, reconcile, match, render
            analysis = analyze([path])
            render_markdown(analysis)
            render_html(analysis)

    rows.append(("whole pipeline in-process", pages, timed(whole_pipeline)))
    with tempfile.TemporaryDirectory() as out:
        command = [
            str(Path(sys.executable).with_name("oncoguide")),
            "analyze",
            *map(str, paths),
            "--out",
            out,
        ]
        rows.append(("whole CLI (one process, start-up included)", pages, timed(lambda: _quiet(command))))

    if DEV_SET.exists():
        texts = [json.loads(line)["text"] for line in DEV_SET.read_text(encoding="utf-8").splitlines()]
        reports = [text_document(text, f"r{i}") for i, text in enumerate(texts)]
        rows.append(
            (
                "extraction only, dev-set texts",
                len(reports),
                timed(lambda: [extract_document(d) for d in reports]),
            )
        )

    _print(rows)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cli_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: this process {rss:.0f} MB; CLI process {cli_rss:.0f} MB")


def _pdftotext(path: Path) -> None:
    subprocess.run(["pdftotext", "-q", str(path), "-"], check=True, capture_output=True)


def _quiet(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True)


def _print(rows: list[tuple[str, int, float]]) -> None:
    reference = rows[0][1] / rows[0][2]
    print(f"{'what':46} {'pages':>6} {'seconds':>8} {'pages/s':>9} {'vs ' + 'first row':>12}")
    for name, count, seconds in rows:
        rate = count / seconds
        print(f"{name:46} {count:6d} {seconds:8.2f} {rate:9.1f} {rate / reference:11.3f}x")


if __name__ == "__main__":
    main()
