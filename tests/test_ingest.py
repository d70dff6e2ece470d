"""Ingestion: every kind of file a patient may upload becomes a Document or one clear error."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pdfplumber
import pytesseract
import pytest
from fixtures_pdf import damage_pages, image_pdf, page_image, table_pdf, text_pdf

from extractors import ingest
from extractors.base import PageText
from extractors.ingest import (
    CorruptImage,
    CorruptPdf,
    EmptyFile,
    EncryptedPdf,
    FileTooLarge,
    IngestError,
    Limits,
    NotAPdf,
    NoTextFound,
    TooManyPages,
    UnsupportedFileType,
    UnsupportedLanguage,
    read_document,
    sniff_media_type,
)
from extractors.ingest import ocr as engine
from extractors.ingest.language import foreign_language
from oncoguide.domain import Box, Document, Page, PageSource, Word

PAGE_ONE = [
    "SURGICAL PATHOLOGY REPORT",
    "Final diagnosis: invasive adenocarcinoma of the right upper lobe.",
    "Tumor size 2.4 cm; visceral pleura not involved.",
]
PAGE_TWO = ["Molecular results: EGFR exon 19 deletion detected.", "PD-L1 TPS 60%."]
SCAN_LINES = ["FINAL DIAGNOSIS", "Lung, right upper lobe, lobectomy:", "Invasive adenocarcinoma, acinar type"]
HINT = "apt-get install tesseract-ocr tesseract-ocr-eng"
# About 100 words of Spanish prose written for this test.
SPANISH = (
    "Informe de anatomía patológica. La muestra corresponde a una biopsia de la mama izquierda con un "
    "carcinoma ductal infiltrante. El tumor mide dos centímetros y no se observa invasión linfovascular. "
    "Los márgenes quirúrgicos están libres de tumor y se encuentran a más de cinco milímetros del borde. "
    "Los ganglios linfáticos del nivel uno fueron examinados y no presentan metástasis. Los receptores de "
    "estrógeno son positivos en el noventa por ciento de las células y los receptores de progesterona son "
    "positivos en el setenta por ciento. La proteína es negativa por inmunohistoquímica. Se recomienda "
    "discutir el caso en el comité de tumores con la paciente y su familia para decidir el tratamiento."
)


def one_line(error: IngestError, filename: str) -> str:
    message = str(error)
    assert "\n" not in message
    assert message.startswith(f"{filename}: ")
    return message


# --- PDFs with a text layer --------------------------------------------------------------------


def test_text_pdf_pages_words_and_boxes(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "report.pdf", [PAGE_ONE, PAGE_TWO])
    progress: list[tuple[int, int]] = []
    document = read_document(path, on_page=lambda done, total: progress.append((done, total)))

    assert document.id == hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    assert document.media_type == "application/pdf"
    assert document.filename == "report.pdf"
    assert [page.number for page in document.pages] == [1, 2]
    assert {page.source for page in document.pages} == {PageSource.TEXT_LAYER}
    # Reading order and line breaks as written, no carriage returns.
    assert document.pages[0].text == "\n".join(PAGE_ONE)
    assert document.pages[1].text == "\n".join(PAGE_TWO)
    assert progress[-1] == (2, 2)
    assert not document.warnings

    page = document.pages[0]
    for word in page.words:
        assert page.text[word.start : word.start + len(word.text)] == word.text
    assert [word.text for word in page.words] == page.text.split()
    # Words are built without validation: they must equal, and serialize as, the validated ones.
    assert Document.model_validate_json(document.model_dump_json()) == document
    assert Page.model_validate(page.model_dump()).model_dump_json() == page.model_dump_json()

    # Boxes agree with pdfplumber's (origin top-left, points) to within a couple of points.
    with pdfplumber.open(path) as pdf:
        plumber = {word["text"]: word for word in pdf.pages[0].extract_words()}
    ours = {word.text: word.box for word in page.words}
    for text in ("adenocarcinoma", "Tumor", "REPORT"):
        theirs = plumber[text]
        assert ours[text].x0 == pytest.approx(theirs["x0"], abs=1)
        assert ours[text].x1 == pytest.approx(theirs["x1"], abs=1)
        assert ours[text].top == pytest.approx(theirs["top"], abs=3)
        assert ours[text].bottom == pytest.approx(theirs["bottom"], abs=3)

    # The Evidence box of a phrase spans its words and sits on its line.
    start = page.text.index("invasive adenocarcinoma")
    evidence = PageText.of(document.id, page).evidence(start, start + len("invasive adenocarcinoma"))
    assert evidence.quote == "invasive adenocarcinoma"
    assert evidence.box is not None
    assert evidence.box.x0 == pytest.approx(ours["invasive"].x0)
    assert evidence.box.x1 == pytest.approx(ours["adenocarcinoma"].x1)
    assert ours["REPORT"].bottom <= evidence.box.top < evidence.box.bottom <= ours["Tumor"].top


def test_given_document_id_is_kept(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "report.pdf", [PAGE_ONE])
    assert read_document(path, document_id="case-7-doc-1").id == "case-7-doc-1"


def test_ruled_table_is_extracted_and_only_ruled_pages_go_to_pdfplumber(tmp_path: Path, monkeypatch) -> None:
    rows = [("Gene", "Result"), ("EGFR", "exon 19 deletion"), ("ALK", "not detected")]
    table = read_document(table_pdf(tmp_path / "table.pdf", "Molecular results", rows))
    assert table.pages[0].tables == [[list(row) for row in rows]]
    assert "EGFR" in table.pages[0].text

    asked: list[list[int]] = []
    real = ingest.reader.read_tables
    monkeypatch.setattr(
        ingest.reader, "read_tables", lambda data, numbers: asked.append(numbers) or real(data, numbers)
    )
    plain = read_document(text_pdf(tmp_path / "plain.pdf", [PAGE_ONE, PAGE_TWO]))
    assert asked == [[]]
    assert all(page.tables == [] for page in plain.pages)


# --- OCR -----------------------------------------------------------------------------------------


@pytest.mark.ocr
def test_image_only_pdf_page_is_ocred_with_boxes_in_points(tmp_path: Path) -> None:
    path = image_pdf(tmp_path / "scan.pdf", [PAGE_ONE, page_image(SCAN_LINES)])
    document = read_document(path)
    text_page, scanned = document.pages
    assert text_page.source is PageSource.TEXT_LAYER
    assert scanned.source is PageSource.OCR
    assert "adenocarcinoma" in scanned.text.lower()
    assert "FINAL DIAGNOSIS\n" in scanned.text
    word = next(word for word in scanned.words if "adenocarcinoma" in word.text.lower())
    assert scanned.text[word.start : word.start + len(word.text)] == word.text
    # Drawn at x=120 px, third line at y=120+2*67 px of a 300-dpi image: in points, x 29, y 61.
    assert word.box.x0 > 100 * 72 / 300
    assert 55 < word.box.top < word.box.bottom < 80
    assert not document.warnings


@pytest.mark.ocr
def test_png_and_multi_frame_tiff_are_ocred_one_page_per_frame(tmp_path: Path) -> None:
    png = tmp_path / "photo.png"
    page_image(SCAN_LINES).save(png, dpi=(300, 300))
    document = read_document(png)
    assert document.media_type == "image/png"
    assert [page.source for page in document.pages] == [PageSource.OCR]
    assert "adenocarcinoma" in document.text.lower()

    tiff = tmp_path / "fax.tif"
    first, second = page_image(["Page one: lobectomy specimen"]), page_image(["Page two: adenocarcinoma"])
    first.save(tiff, save_all=True, append_images=[second])
    pages = read_document(tiff).pages
    assert [page.number for page in pages] == [1, 2]
    assert "lobectomy" in pages[0].text and "adenocarcinoma" in pages[1].text


def test_without_tesseract_pages_need_ocr_with_one_install_hint(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no" / "tesseract"))
    path = image_pdf(tmp_path / "scan.pdf", [PAGE_ONE, page_image(SCAN_LINES)])
    document = read_document(path)
    assert [page.source for page in document.pages] == [PageSource.TEXT_LAYER, PageSource.NEEDS_OCR]
    assert document.pages[1].text == ""
    assert document.warnings == [f"page 2 has no text layer and Tesseract is not installed: {HINT}"]

    png = tmp_path / "photo.png"
    page_image(SCAN_LINES).save(png)
    image = read_document(png)  # nothing readable yet, but not "no text": it needs OCR
    assert [page.source for page in image.pages] == [PageSource.NEEDS_OCR]
    assert image.warnings == [f"page 1 is an image and Tesseract is not installed: {HINT}"]


def test_tesseract_found_but_not_runnable_is_treated_as_missing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(engine, "tesseract_available", lambda: True)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no" / "tesseract"))
    document = read_document(image_pdf(tmp_path / "scan.pdf", [page_image(SCAN_LINES)]))
    assert document.pages[0].source is PageSource.NEEDS_OCR
    assert document.warnings == [f"page 1 has no text layer and Tesseract is not installed: {HINT}"]


def test_ocr_off_marks_scanned_pages_with_one_warning(tmp_path: Path) -> None:
    scan = page_image(SCAN_LINES)
    document = read_document(image_pdf(tmp_path / "scan.pdf", [scan, scan, scan, PAGE_ONE, scan]), ocr=False)
    sources = [page.source for page in document.pages]
    assert sources == [PageSource.NEEDS_OCR] * 3 + [PageSource.TEXT_LAYER, PageSource.NEEDS_OCR]
    assert document.warnings == [
        "pages 1-3 and 5 have no text layer and OCR is turned off: turn OCR on to read them"
    ]


def test_blank_pages_are_not_sent_to_ocr_and_give_no_text(tmp_path: Path) -> None:
    with pytest.raises(NoTextFound) as caught:
        read_document(text_pdf(tmp_path / "blank.pdf", [[], []]))
    assert caught.value.code == "no_text"
    one_line(caught.value, "blank.pdf")


# --- files that cannot be read -------------------------------------------------------------------


def test_encrypted_pdf(tmp_path: Path) -> None:
    with pytest.raises(EncryptedPdf) as caught:
        read_document(text_pdf(tmp_path / "locked.pdf", [PAGE_ONE], encrypt=True))
    assert caught.value.code == "encrypted_pdf"
    assert "password" in one_line(caught.value, "locked.pdf")


def test_truncated_pdf(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "cut.pdf", [PAGE_ONE, PAGE_TWO] * 5)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptPdf) as caught:
        read_document(path)
    assert caught.value.code == "corrupt_pdf"
    assert "damaged or truncated" in one_line(caught.value, "cut.pdf")


def test_one_damaged_page_keeps_the_others(tmp_path: Path) -> None:
    path = damage_pages(text_pdf(tmp_path / "report.pdf", [PAGE_ONE, PAGE_TWO, PAGE_ONE]), 2)
    document = read_document(path)
    assert [page.source for page in document.pages] == [
        PageSource.TEXT_LAYER,
        PageSource.FAILED,
        PageSource.TEXT_LAYER,
    ]
    assert document.pages[1].error
    assert "adenocarcinoma" in document.pages[2].text
    assert document.warnings == ["page 2 could not be read (damaged); the other pages were kept"]


def test_every_page_damaged_is_a_corrupt_pdf(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "report.pdf", [PAGE_ONE, PAGE_TWO])
    damage_pages(path, 1, 2)
    with pytest.raises(CorruptPdf):
        read_document(path)


def test_text_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_text("Final diagnosis: adenocarcinoma.\n", encoding="utf-8")
    with pytest.raises(NotAPdf) as caught:
        read_document(path)
    assert caught.value.code == "not_a_pdf"
    assert one_line(caught.value, "report.pdf").startswith(
        "report.pdf: not a PDF (the file starts like plain text)"
    )


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.touch()
    with pytest.raises(EmptyFile) as caught:
        read_document(path)
    assert caught.value.code == "empty_file"
    one_line(caught.value, "report.pdf")


def test_size_and_page_limits(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "report.pdf", [PAGE_ONE, PAGE_TWO])
    with pytest.raises(FileTooLarge) as too_large:
        read_document(path, limits=Limits(max_bytes=100))
    assert too_large.value.code == "file_too_large"
    one_line(too_large.value, "report.pdf")
    with pytest.raises(TooManyPages) as too_many:
        read_document(path, limits=Limits(max_pages=1))
    assert too_many.value.code == "too_many_pages"
    assert "(2, limit 1)" in one_line(too_many.value, "report.pdf")


def test_damaged_image(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(CorruptImage) as caught:
        read_document(path)
    assert caught.value.code == "corrupt_image"
    one_line(caught.value, "photo.png")


@pytest.mark.parametrize(("name", "error"), [("record.pdf", NotAPdf), ("record.docx", UnsupportedFileType)])
def test_zip_archives_are_refused(tmp_path: Path, name: str, error: type[IngestError]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    with pytest.raises(error) as caught:
        read_document(path)
    assert "ZIP archive" in one_line(caught.value, name)


# --- plain text and language ---------------------------------------------------------------------


def test_plain_text_file_is_one_page_with_unix_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(b"Diagnosis: adenocarcinoma\r\nStage: pT2a pN0\r\n")
    document = read_document(path)
    assert document.media_type == "text/plain"
    [page] = document.pages
    assert page.source is PageSource.PLAIN_TEXT
    assert page.text == "Diagnosis: adenocarcinoma\nStage: pT2a pN0\n"
    assert page.words == []


def test_latin1_text_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes("Diagnosis: carcinoma, 2.0 cm; café".encode("latin-1"))
    assert read_document(path).text.endswith("café")


def test_spanish_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "informe.txt"
    path.write_text(SPANISH, encoding="utf-8")
    with pytest.raises(UnsupportedLanguage) as caught:
        read_document(path)
    assert caught.value.code == "unsupported_language"
    assert "Spanish" in one_line(caught.value, "informe.txt")


@pytest.mark.devset
def test_language_check_never_fires_on_the_english_dev_set(devset) -> None:
    flagged = [record["id"] for record in devset if foreign_language(record["text"])]
    assert flagged == []


def test_word_lists_lint_clean() -> None:
    assert ingest.lint() == []


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "application/pdf"),
        (b"\r\n%PDF-1.4", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"II*\x00\x08\x00", "image/tiff"),
        (b"MM\x00*\x00\x08", "image/tiff"),
        (b"Final diagnosis: carcinoma\r\n", "text/plain"),
        ("Diagnóstico".encode("latin-1"), "text/plain"),
        (b"PK\x03\x04\x14\x00", "application/zip"),
        (b"MZ\x90\x00", "application/x-msdownload"),
        (b"\x00\x01\x02\x03binary", None),
    ],
)
def test_sniff_media_type_reads_content(head: bytes, media_type: str | None) -> None:
    assert sniff_media_type(head) == media_type


def test_evidence_box_covers_the_words_a_span_touches_even_mid_word() -> None:
    def word(text: str, start: int, x0: float) -> Word:
        return Word(text=text, start=start, box=Box(x0=x0, top=10, x1=x0 + 5 * len(text), bottom=20))

    # Given out of order, as an OCR engine may: the page puts its words in order once.
    words = [word("node", 9, 45), word("lymph", 3, 15), word("pT2", 14, 75), word("N0", 0, 0)]
    page = PageText("doc", 1, "N0 lymph node pT2", words=words)
    box = page.evidence(5, 11).box  # "mph no": inside "lymph" to inside "node"
    assert box is not None and (box.x0, box.x1) == (15, 65)
    assert page.evidence(13, 14).box is None  # the space between two words
