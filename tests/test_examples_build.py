"""The example records: deterministic build, committed PDFs that match their sources, a scanned page
with no text layer, one identity per patient and expected profiles in the shape the project uses."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Literal

import pypdfium2 as pdfium
import pytest
from pydantic import BaseModel, ConfigDict, Field

from extractors.identity import distinct_patients
from oncoguide.domain import Biomarker, BiomarkerResult, Document, Page, PageSource, TreatmentStatus
from oncoguide.paths import EXAMPLES, ONCOTREE

MAX_PDF_BYTES = 200_000


def _load_build() -> ModuleType:
    # examples/ is not an installed package: load the script by path (registered so pydantic resolves it).
    spec = importlib.util.spec_from_file_location("examples_build", EXAMPLES / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _load_build()
PATIENTS = [folder.name for folder in build.patient_folders(EXAMPLES)]


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("examples")
    return {str(path.relative_to(out)): path for path in build.build(EXAMPLES, out)}


def _page_texts(path: Path) -> list[str]:
    document = pdfium.PdfDocument(path)
    try:
        return [document[index].get_textpage().get_text_range() for index in range(len(document))]
    finally:
        document.close()


def test_there_are_three_patients_with_three_documents_each() -> None:
    assert PATIENTS == ["breast", "colorectal", "lung"]
    for name in PATIENTS:
        assert len(build.load_manifest(EXAMPLES / name).documents) == 3


def test_build_is_deterministic(rebuilt: dict[str, Path], tmp_path: Path) -> None:
    again = {str(path.relative_to(tmp_path)): path.read_bytes() for path in build.build(EXAMPLES, tmp_path)}
    assert again.keys() == rebuilt.keys()
    for name, data in again.items():
        assert hashlib.sha256(data).digest() == hashlib.sha256(rebuilt[name].read_bytes()).digest(), name


def test_committed_pdfs_match_their_sources(rebuilt: dict[str, Path]) -> None:
    committed = {str(path.relative_to(EXAMPLES)) for path in EXAMPLES.glob("*/*.pdf")}
    assert committed == set(rebuilt), "stale or missing PDFs: run `make examples`"
    for name, fresh in rebuilt.items():
        assert _page_texts(EXAMPLES / name) == _page_texts(fresh), (
            f"{name} is out of date: run `make examples`"
        )


def test_pdfs_are_small() -> None:
    for path in EXAMPLES.glob("*/*.pdf"):
        assert path.stat().st_size < MAX_PDF_BYTES, path


def test_scanned_pages_are_images_without_a_text_layer() -> None:
    scanned = 0
    for name in PATIENTS:
        for spec in build.load_manifest(EXAMPLES / name).documents:
            path = EXAMPLES / name / f"{spec.stem}.pdf"
            document = pdfium.PdfDocument(path)
            for index, text in enumerate(_page_texts(path), start=1):
                if index in spec.scanned_pages:
                    kinds = [type(obj).__name__ for obj in document[index - 1].get_objects()]
                    assert text.strip() == "", f"{path} page {index} has a text layer"
                    assert kinds == ["PdfImage"], f"{path} page {index} is not a single image"
                    scanned += 1
                else:
                    assert "FICTIONAL EXAMPLE RECORD" in text, f"{path} page {index}"
            document.close()
    assert scanned >= 1


def test_a_misplaced_scanned_block_is_refused() -> None:
    manifest = build.load_manifest(EXAMPLES / "colorectal")
    spec = next(spec for spec in manifest.documents if spec.scanned_pages)
    wrong = spec.model_copy(update={"scanned_pages": []})
    text = (EXAMPLES / "colorectal" / "sources" / spec.source).read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="scanned pages"):
        build.render(manifest, wrong, text)


@pytest.mark.ocr
def test_the_scanned_page_is_readable_by_ocr() -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    import pytesseract

    document = pdfium.PdfDocument(EXAMPLES / "colorectal" / "01-pathology.pdf")
    image = document[2].render(scale=200 / 72).to_pil().convert("L")
    document.close()
    text = pytesseract.image_to_string(image)
    for phrase in ("MLH1", "PMS2", "MSH2", "MSH6", "Retained", "pMMR"):
        assert phrase in text


def _documents(name: str) -> list[Document]:
    return [
        Document(
            id=path.stem,
            filename=path.name,
            media_type="application/pdf",
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            pages=[
                Page(number=number, text=text, source=PageSource.TEXT_LAYER)
                for number, text in enumerate(_page_texts(path), start=1)
            ],
        )
        for path in sorted((EXAMPLES / name).glob("*.pdf"))
    ]


def test_each_patient_is_one_person_and_the_patients_differ() -> None:
    everyone: list[Document] = []
    for name in PATIENTS:
        documents = _documents(name)
        patient = build.load_manifest(EXAMPLES / name).patient
        for document in documents:
            assert patient.mrn in document.pages[0].text and patient.dob in document.pages[0].text
        assert len(distinct_patients(documents)) == 1, name
        everyone.extend(documents)
    assert len(distinct_patients(everyone)) == len(PATIENTS)


# --- expected profiles -------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExpectedBiomarker(_Strict):
    """A subset of `Biomarker`'s fields: tests/test_examples.py matches them against model_dump()."""

    marker: str
    gene: str | None = Field(default=None, pattern=r"^[A-Z0-9-]+$")
    alteration: str | None = None
    result: BiomarkerResult | None = None
    score: str | None = None
    value: float | None = None
    unit: str | None = None


class ExpectedTreatment(_Strict):
    agent: str = Field(pattern=r"^[a-z][a-z0-9 -]+$")
    status: TreatmentStatus


class ExpectedProfile(_Strict):
    cancer_type: str = Field(pattern=r"^[A-Z0-9_]+$")
    organ: str = Field(pattern=r"^[A-Z_]+$")
    histology: str | None
    laterality: Literal["left", "right", "bilateral"] | None
    grade: str | None = Field(pattern=r"^G[1-4]$")
    t: str | None = Field(pattern=r"^T(is|X|0|[1-4](mi|[a-d])?)$")
    n: str | None = Field(pattern=r"^N(X|[0-3][a-c]?)$")
    m: str | None = Field(pattern=r"^M(0|1[a-d]?)$")
    stage_group: str | None = Field(pattern=r"^(0|I{1,3}|IV)[A-C]?$")
    biomarkers: list[ExpectedBiomarker] = Field(min_length=1)
    treatments: list[ExpectedTreatment] = Field(min_length=1)
    not_expected: list[str] = Field(min_length=1)


def _expected(name: str) -> ExpectedProfile:
    return ExpectedProfile.model_validate_json(
        (EXAMPLES / name / "expected.json").read_text(encoding="utf-8")
    )


def test_expected_biomarker_keys_are_biomarker_fields() -> None:
    assert set(ExpectedBiomarker.model_fields) <= set(Biomarker.model_fields)


@pytest.mark.parametrize("name", PATIENTS)
def test_expected_profile_validates(name: str) -> None:
    expected = _expected(name)
    markers = [(b.marker, b.alteration) for b in expected.biomarkers]
    assert len(markers) == len(set(markers)), "a biomarker is listed twice"


@cache
def _oncotree_tissues() -> dict[str, str]:
    """OncoTree code -> the code of its level-1 tissue node."""
    tree = json.loads(ONCOTREE.read_text(encoding="utf-8"))
    tissues: dict[str, str] = {}

    def walk(node: dict, tissue: str) -> None:
        for code, child in node.get("children", {}).items():
            tissues[code] = tissue
            walk(child, tissue)

    for code, node in tree["TISSUE"]["children"].items():
        tissues[code] = code
        walk(node, code)
    return tissues


@pytest.mark.parametrize("name", PATIENTS)
def test_expected_codes_exist_in_oncotree(name: str) -> None:
    if not ONCOTREE.exists():
        pytest.skip(f"OncoTree file not found at {ONCOTREE}: put shared/ beside the checkout")
    expected = _expected(name)
    assert _oncotree_tissues().get(expected.cancer_type) == expected.organ
