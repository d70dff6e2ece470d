"""Abbreviations a report defines for lexicon terms, and the extractors reading their later uses."""

from __future__ import annotations

from extractors import biomarkers, cancer_type, treatments
from extractors.base import PageText
from extractors.findings import extract_document, is_lexicon_term
from extractors.nlp import definitions, with_abbreviations
from oncoguide.domain import Document, Finding, FindingKind, Page, PageSource

_DEFINES = "FINAL DIAGNOSIS: Uterus, hysterectomy: endometrial carcinoma (EC), endometrioid type, grade 2."
_USES = "COMMENT: The EC reaches the outer half of the myometrium; the serosa is free."


def _document(document_id: str, *texts: str) -> Document:
    pages = [Page(number=i, text=text, source=PageSource.TEXT_LAYER) for i, text in enumerate(texts, start=1)]
    return Document(
        id=document_id, filename="report.pdf", media_type="application/pdf", sha256="0", pages=pages
    )


def _pages(*texts: str) -> list[PageText]:
    return with_abbreviations([PageText("doc", i, t) for i, t in enumerate(texts, start=1)], is_lexicon_term)


def _quoted(findings: list[Finding], kind: FindingKind, quote: str) -> list[Finding]:
    return [f for f in findings if f.kind is kind and f.evidence[0].quote == quote]


def test_a_definition_gives_short_and_long_form_with_their_spans() -> None:
    page = PageText("doc", 1, _DEFINES)
    [found] = definitions(page, is_lexicon_term)
    assert (found.short_form, found.long_form) == ("EC", "endometrial carcinoma")
    assert _DEFINES[slice(*found.short_span)] == "EC"
    assert _DEFINES[slice(*found.long_span)] == "endometrial carcinoma"


def test_the_long_form_may_stand_in_the_brackets() -> None:
    text = "Uterus and cervix: MMMT (malignant mixed mullerian tumor) with a heterologous component."
    [found] = definitions(PageText("doc", 1, text), is_lexicon_term)
    assert (found.short_form, found.long_form) == ("MMMT", "malignant mixed mullerian tumor")
    assert text[slice(*found.short_span)] == "MMMT"
    assert text[slice(*found.long_span)] == "malignant mixed mullerian tumor"


def test_a_defined_cancer_abbreviation_is_read_on_a_later_page_citing_its_own_characters() -> None:
    findings = extract_document(_document("hyst-1", _DEFINES, _USES))
    [later] = [f for f in _quoted(findings, FindingKind.CANCER_TYPE, "EC") if f.evidence[0].page == 2]
    assert later.value == "UCEC"
    evidence = later.evidence[0]
    assert _USES[evidence.start : evidence.end] == "EC"
    assert evidence.document_id == "hyst-1"


def test_the_definition_itself_adds_no_second_mention() -> None:
    [page] = _pages(_DEFINES)
    found = cancer_type.extract(page)
    assert _quoted(found, FindingKind.CANCER_TYPE, "EC") == []
    assert [f.evidence[0].quote for f in found if f.value == "UCEC"] == ["endometrial carcinoma"]


def test_a_use_before_the_definition_is_not_expanded() -> None:
    [page] = _pages("SUMMARY: EC, see below. " + _DEFINES)
    assert _quoted(cancer_type.extract(page), FindingKind.CANCER_TYPE, "EC") == []


def test_an_undefined_capitalised_word_is_not_a_cancer() -> None:
    [page] = _pages(_USES)
    assert page.abbreviations == {}
    assert [f for f in cancer_type.extract(page) if f.kind is FindingKind.CANCER_TYPE] == []
    [page] = _pages("SPECIMEN: breast, left (MARGINS INKED). MARGINS: clear of tumour by 4 mm.")
    assert page.abbreviations == {}


def test_the_expansion_stays_within_the_document_that_defines_it() -> None:
    defined = extract_document(_document("hyst-1", _DEFINES, _USES))
    other = extract_document(_document("note-2", _USES))
    assert _quoted(defined, FindingKind.CANCER_TYPE, "EC")
    assert _quoted(other, FindingKind.CANCER_TYPE, "EC") == []


def test_a_defined_drug_abbreviation_is_read_as_the_drug() -> None:
    [page] = _pages("Plan: gemcitabine (GEM) with nab-paclitaxel. She completed four cycles of GEM in May.")
    found = [f for f in treatments.extract(page) if f.treatment and f.evidence[0].quote == "GEM"]
    assert [(f.treatment.agent, f.treatment.status.value) for f in found] == [("gemcitabine", "received")]


def test_a_defined_marker_abbreviation_is_read_as_the_marker() -> None:
    [page] = _pages(
        "Oestrogen receptor (OeR) testing was performed on block A2. OeR: positive, 90% of nuclei."
    )
    [found] = [f for f in biomarkers.extract(page) if f.evidence[0].quote.startswith("OeR")]
    assert found.biomarker is not None
    assert (found.biomarker.marker, found.biomarker.result.value, found.biomarker.value) == (
        "ER",
        "positive",
        90,
    )


def test_a_short_form_the_lexicon_already_knows_is_not_read_twice() -> None:
    [page] = _pages("Estrogen receptor (ER) was done. ER: positive (80%).")
    found = [f for f in biomarkers.extract(page) if f.biomarker and f.biomarker.marker == "ER"]
    assert len({(f.evidence[0].start, f.evidence[0].end) for f in found}) == len(found)


def test_ocr_noise_pairs_are_filtered() -> None:
    noisy = (
        "LEFT BREAST, UPPER OUTER QUADRANT (QUADRANT. LESION) : FIBROCYSTIC CHANGE. "
        "RESIDUAL TUMOR (TUMOR AT 2.0 CM.) IS SEEN. "
        "Sentinel node (yes/no) : no. Axillary dissection (yes/no) : no. "
        "ESTROGEN RECEPTOR (OR) STAINING, POSITIVE OR NEGATIVE."
    )
    assert definitions(PageText("doc", 1, noisy), is_lexicon_term) == []


def test_a_long_form_outside_the_lexicons_is_ignored() -> None:
    text = "Specimen received in formalin; see the College of American Pathologists (CAP) protocol."
    assert definitions(PageText("doc", 1, text), is_lexicon_term) == []
