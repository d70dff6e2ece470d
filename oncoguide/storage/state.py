"""Case and document state transitions, shared by the API and the workers.

Every transition is a conditional UPDATE (compare and set), so a redelivered or duplicated task finds
the work done and changes nothing: a document is completed once and a case run is assembled once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Text, cast, exists, func, null, select, update
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from oncoguide import domain
from oncoguide.storage.db import EncodedJson
from oncoguide.storage.files import StoredFile
from oncoguide.storage.models import (
    IN_PROGRESS,
    UNFINISHED,
    Case,
    CaseEvent,
    CaseStage,
    Document,
    DocumentStatus,
    utcnow,
)

_FINDINGS = TypeAdapter(list[domain.Finding])
# A stored analysis leaves out the documents and findings: the run's document rows hold them already
# (they are half of a case's JSON), and every new run clears the analysis, so the two always agree.
_KEPT_APART = {"documents", "findings"}
CHANGES_CHANNEL = "oncoguide_case_changes"


def log_event(
    session: Session,
    case_id: str,
    kind: str,
    document_id: str | None = None,
    *,
    actor: str | None = None,
    **detail: Any,
) -> None:
    session.add(CaseEvent(case_id=case_id, document_id=document_id, kind=kind, actor=actor, detail=detail))


def announce(session: Session, case_id: str) -> None:
    """Wake the API's requests waiting on the case (api/changes.py) when this transaction commits: every
    transition that can change a case's status calls it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(CHANGES_CHANNEL, case_id)))


# --- the API's side --------------------------------------------------------------------------


def last_read(session: Session, case_id: str, actor: str) -> tuple[int, str] | None:
    """(run, status) of the actor's last audited status read of the case, if any."""
    detail = session.scalar(
        select(CaseEvent.detail)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == "case.read", CaseEvent.actor == actor)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    return None if detail is None else (detail.get("run"), detail.get("status"))


def create_case(session: Session, owner_id: str, queue: str) -> Case:
    case = Case(owner_id=owner_id, queue=queue, stage=CaseStage.OPEN, run=1)
    session.add(case)
    session.flush()
    log_event(session, case.id, "case.created", actor=owner_id, queue=queue)
    return case


def owned_case(session: Session, case_id: str, owner_id: str) -> Case | None:
    case = session.get(Case, case_id)
    return case if case is not None and case.owner_id == owner_id else None


def document_with_hash(session: Session, case_id: str, sha256: str) -> Document | None:
    return session.scalar(select(Document).where(Document.case_id == case_id, Document.sha256 == sha256))


def add_document(
    session: Session, case: Case, stored: StoredFile, filename: str, media_type: str
) -> Document:
    """A committed file becomes a queued document; the case starts a new run that will include it."""
    document = Document(
        case_id=case.id,
        filename=filename,
        media_type=media_type,
        size_bytes=stored.size,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        status=DocumentStatus.QUEUED,
    )
    session.add(document)
    _new_run(case)
    session.flush()
    log_event(
        session,
        case.id,
        "document.accepted",
        document.id,
        actor=case.owner_id,
        bytes=stored.size,
        run=case.run,
    )
    announce(session, case.id)
    return document


def rerun(session: Session, case: Case) -> list[Document]:
    """Read every document again and assemble anew; returns the documents to enqueue."""
    for document in case.documents:
        document.status = DocumentStatus.QUEUED
        document.attempts = 0
        document.pages_done = 0
        document.failure_code = document.failure_detail = None
        document.updated_at = utcnow()
    _new_run(case)
    session.flush()
    log_event(
        session, case.id, "case.rerun", actor=case.owner_id, run=case.run, documents=len(case.documents)
    )
    announce(session, case.id)
    return list(case.documents)


def _new_run(case: Case) -> None:
    case.run = Case.run + 1  # in SQL: two uploads at once must not both write the same run number
    case.stage = CaseStage.OPEN
    case.analysis = None
    case.failure_code = case.failure_detail = None
    case.updated_at = utcnow()


def delete_case(session: Session, case: Case) -> list[str]:
    """Delete the case's rows; returns the storage keys of its files for the caller to remove."""
    keys = [document.storage_key for document in case.documents]
    log_event(session, case.id, "case.deleted", actor=case.owner_id, documents=len(keys))
    announce(session, case.id)
    session.delete(case)
    return keys


def release_case(session: Session, case_id: str, run: int, navigator_id: str) -> bool:
    """A navigator approves the guidance of the run they reviewed; a newer run must be reviewed anew."""
    return _move_case(
        session,
        case_id,
        run,
        CaseStage.READY_FOR_REVIEW,
        {"stage": CaseStage.RELEASED},
        "case.released",
        actor=navigator_id,
    )


def _move_case(
    session: Session,
    case_id: str,
    run: int,
    from_stage: CaseStage,
    values: dict[str, Any],
    event: str,
    **detail: Any,
) -> bool:
    """Move the case on if it is still in `from_stage` for `run` (a newer run or a redelivered task finds
    it moved already and does nothing); record and announce the move."""
    done = session.execute(
        update(Case)
        .where(Case.id == case_id, Case.stage == from_stage, Case.run == run)
        .values(**values, updated_at=utcnow())
    ).rowcount
    if done:
        log_event(session, case_id, event, run=run, **detail)
        announce(session, case_id)
    return bool(done)


# --- the workers' side -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReadDocument:
    """A document a task has just read and stored, with its findings: kept for the case's assembly."""

    row_id: str
    document: domain.Document
    findings: list[domain.Finding]


@dataclass(frozen=True)
class Claim:
    document_id: str
    case_id: str
    storage_key: str
    filename: str
    attempt: int


def claim_document(session: Session, document_id: str, max_attempts: int) -> Claim | None:
    """Start (or restart, after a lost worker) reading a document; None if there is nothing to do."""
    row = session.execute(
        update(Document)
        .where(Document.id == document_id, Document.status.in_(UNFINISHED))
        .values(
            status=DocumentStatus.READING, attempts=Document.attempts + 1, pages_done=0, updated_at=utcnow()
        )
        .returning(Document.case_id, Document.storage_key, Document.filename, Document.attempts)
    ).one_or_none()
    if row is None:
        return None
    claim = Claim(document_id, row.case_id, row.storage_key, row.filename, row.attempts)
    if claim.attempt > max_attempts:
        detail = f"reading stopped {max_attempts} times without finishing; the file may be too demanding"
        fail_document(session, document_id, "worker_lost", detail)
        return None
    log_event(session, claim.case_id, "document.started", document_id, attempt=claim.attempt)
    announce(session, claim.case_id)
    return claim


def record_progress(session: Session, document_id: str, done: int, total: int) -> None:
    read = done >= total
    case_id = session.scalar(
        update(Document)
        .where(Document.id == document_id, Document.status.in_(IN_PROGRESS))
        .values(
            status=DocumentStatus.EXTRACTING if read else DocumentStatus.READING,
            pages_done=done,
            pages_total=total,
            updated_at=utcnow(),
        )
        .returning(Document.case_id)
    )
    if read and case_id is not None:  # from reading to extracting; page counts alone wake nobody
        announce(session, case_id)


def complete_document(
    session: Session, claim: Claim, document: domain.Document, findings: Sequence[domain.Finding]
) -> bool:
    done = session.execute(
        update(Document)
        .where(Document.id == claim.document_id, Document.status.in_(IN_PROGRESS))
        .values(
            status=DocumentStatus.DONE,
            content=EncodedJson(document.model_dump_json()),
            findings=EncodedJson(_FINDINGS.dump_json(list(findings)).decode()),
            pages_done=len(document.pages),
            pages_total=len(document.pages),
            updated_at=utcnow(),
        )
    ).rowcount
    if done:
        detail = {"pages": len(document.pages), "findings": len(findings), "attempt": claim.attempt}
        log_event(session, claim.case_id, "document.done", claim.document_id, **detail)
        announce(session, claim.case_id)
    return bool(done)


def fail_document(session: Session, document_id: str, code: str, detail: str) -> bool:
    case_id = session.scalar(
        update(Document)
        .where(Document.id == document_id, Document.status.in_(UNFINISHED))
        .values(status=DocumentStatus.FAILED, failure_code=code, failure_detail=detail, updated_at=utcnow())
        .returning(Document.case_id)
    )
    if case_id is not None:
        log_event(session, case_id, "document.failed", document_id, code=code)
        announce(session, case_id)
    return case_id is not None


def start_matching_if_complete(session: Session, case_id: str) -> tuple[int, str] | None:
    """Move an open case whose documents are all finished to matching, once; returns (run, queue)."""
    unfinished = exists().where(Document.case_id == case_id, Document.status.in_(UNFINISHED))
    row = session.execute(
        update(Case)
        .where(Case.id == case_id, Case.stage == CaseStage.OPEN, ~unfinished)
        .values(stage=CaseStage.MATCHING, updated_at=utcnow())
        .returning(Case.run, Case.queue)
    ).one_or_none()
    if row is None:
        return None
    log_event(session, case_id, "case.matching", run=row.run)
    announce(session, case_id)
    return row.run, row.queue


def case_inputs(
    session: Session, case_id: str, run: int, known: ReadDocument | None = None
) -> tuple[list[domain.Document], list[domain.Finding]] | None:
    """The read documents and their findings, in upload order; None if this run is not matching.
    `known` is a document the caller holds in memory: it is not loaded again."""
    case = session.get(Case, case_id)
    if case is None or case.stage != CaseStage.MATCHING or case.run != run:
        return None
    return _read_documents(session, case_id, known)


def matching_run(session: Session, case_id: str) -> tuple[int, str] | None:
    """(run, queue) of a case waiting to be assembled, for a redelivered task to finish it."""
    row = session.execute(
        select(Case.run, Case.queue).where(Case.id == case_id, Case.stage == CaseStage.MATCHING)
    ).one_or_none()
    return None if row is None else (row.run, row.queue)


def _read_documents(
    session: Session, case_id: str, known: ReadDocument | None = None
) -> tuple[list[domain.Document], list[domain.Finding]]:
    # As text, parsed by pydantic straight into the models: a third faster than JSON values then models.
    content, found = cast(Document.content, Text), cast(Document.findings, Text)
    if known is not None:  # its row is still selected, for its place in the upload order
        kept = Document.id == known.row_id
        content, found = when((kept, null()), else_=content), when((kept, null()), else_=found)
    rows = session.execute(
        select(Document.id, content, found)
        .where(
            Document.case_id == case_id,
            Document.status == DocumentStatus.DONE,
            Document.content.is_not(None),
        )
        .order_by(Document.created_at)
    ).all()
    documents: list[domain.Document] = []
    findings: list[domain.Finding] = []
    for row_id, text, found_text in rows:
        if known is not None and row_id == known.row_id:
            documents.append(known.document)
            findings.extend(known.findings)
            continue
        documents.append(domain.Document.model_validate_json(text))
        findings.extend(_FINDINGS.validate_json(found_text) if found_text else [])
    return documents, findings


def finish_case(session: Session, case_id: str, run: int, analysis: domain.Analysis) -> bool:
    values = {
        "stage": CaseStage.READY_FOR_REVIEW,
        "analysis": EncodedJson(analysis.model_dump_json(exclude=_KEPT_APART)),
    }
    counts = {"documents": len(analysis.documents), "findings": len(analysis.findings)}
    return _move_case(session, case_id, run, CaseStage.MATCHING, values, "case.ready", **counts)


def stored_analysis(case: Case) -> domain.Analysis | None:
    """The stored analysis of a case without its documents and findings (the document rows hold them):
    what the HTML and Markdown renderings use."""
    if case.analysis is None:
        return None
    return domain.Analysis.model_validate(case.analysis | {"documents": [], "findings": []})


def fail_case(session: Session, case_id: str, run: int, code: str, detail: str) -> bool:
    values = {"stage": CaseStage.FAILED, "failure_code": code, "failure_detail": detail}
    return _move_case(session, case_id, run, CaseStage.MATCHING, values, "case.failed", code=code)


# --- the sweeper's view ----------------------------------------------------------------------


@dataclass(frozen=True)
class StaleWork:
    documents: list[tuple[str, str]]  # (document id, queue)
    open_cases: list[str]  # every document finished, but the case never moved on
    matching_cases: list[tuple[str, int, str]]  # (case id, run, queue)


def stale_work(session: Session, idle_since: dt.datetime) -> StaleWork:
    documents = session.execute(
        select(Document.id, Case.queue)
        .join(Case, Case.id == Document.case_id)
        .where(Document.status.in_(UNFINISHED), Document.updated_at < idle_since)
    ).all()
    unfinished = exists().where(Document.case_id == Case.id, Document.status.in_(UNFINISHED))
    any_document = exists().where(Document.case_id == Case.id)
    open_cases = session.scalars(
        select(Case.id).where(
            Case.stage == CaseStage.OPEN, Case.updated_at < idle_since, any_document, ~unfinished
        )
    ).all()
    matching = session.execute(
        select(Case.id, Case.run, Case.queue).where(
            Case.stage == CaseStage.MATCHING, Case.updated_at < idle_since
        )
    ).all()
    return StaleWork(
        documents=[(row.id, row.queue) for row in documents],
        open_cases=list(open_cases),
        matching_cases=[(row.id, row.run, row.queue) for row in matching],
    )


def known_storage_keys(session: Session, keys: Sequence[str]) -> set[str]:
    return set(session.scalars(select(Document.storage_key).where(Document.storage_key.in_(keys))))


def touch_case(session: Session, case_id: str) -> None:
    """Restart the sweeper's clock for a case whose task was just re-enqueued."""
    session.execute(update(Case).where(Case.id == case_id).values(updated_at=utcnow()))


def touch_document(session: Session, document_id: str) -> None:
    session.execute(update(Document).where(Document.id == document_id).values(updated_at=utcnow()))
