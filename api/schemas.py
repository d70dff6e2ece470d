"""Request and response bodies of the HTTP API (the domain models are returned as they are)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from oncoguide.storage.models import Case, CaseStage, Document, DocumentStatus


class CaseStatus(StrEnum):
    AWAITING_DOCUMENTS = "awaiting_documents"
    QUEUED = "queued"
    READING = "reading"
    EXTRACTING = "extracting"
    MATCHING = "matching"
    READY_FOR_REVIEW = "ready_for_review"
    RELEASED = "released"
    FAILED = "failed"


class NewCase(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"queue": "patient"}]})

    queue: Literal["patient", "bulk"] = Field(
        default="patient",
        description="'bulk' for a partner's batch, so that it never delays a patient's case",
    )


class ReleaseCase(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"run": 3}]})

    run: int = Field(description="the run the navigator reviewed (the case's `run` when they read it)")


class Failure(BaseModel):
    code: str = Field(description="stable code, e.g. encrypted_pdf, no_text, mixed_patients")
    detail: str = Field(description="what went wrong and what to do, in one sentence")


class DocumentOut(BaseModel):
    id: str
    filename: str
    media_type: str
    size_bytes: int
    status: DocumentStatus
    pages_done: int
    pages_total: int | None
    attempts: int
    failure: Failure | None
    created_at: dt.datetime

    @classmethod
    def of(cls, row: Document) -> DocumentOut:
        failure = (
            Failure(code=row.failure_code, detail=row.failure_detail or "") if row.failure_code else None
        )
        return cls(
            id=row.id,
            filename=row.filename,
            media_type=row.media_type,
            size_bytes=row.size_bytes,
            status=DocumentStatus(row.status),
            pages_done=row.pages_done,
            pages_total=row.pages_total,
            attempts=row.attempts,
            failure=failure,
            created_at=row.created_at,
        )


class Progress(BaseModel):
    documents: int
    documents_finished: int
    pages_done: int
    pages_total: int | None = Field(
        description="null until the page count of every readable document is known"
    )


class CaseOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5f0c1e9a2b7d4c1f8e3a6b2d9c4f7a10",
                    "status": "reading",
                    "queue": "patient",
                    "run": 3,
                    "progress": {"documents": 2, "documents_finished": 1, "pages_done": 3, "pages_total": 5},
                    "failure": None,
                    "documents": [],
                    "created_at": "2026-01-05T10:00:00Z",
                    "updated_at": "2026-01-05T10:00:04Z",
                }
            ]
        }
    )

    id: str
    status: CaseStatus
    queue: str
    run: int = Field(description="bumped by every upload and re-run")
    progress: Progress
    failure: Failure | None
    documents: list[DocumentOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, case: Case) -> CaseOut:
        documents = [DocumentOut.of(row) for row in case.documents]
        # A failed document has no pages to wait for: it does not hold the total back.
        totals = [row.pages_total for row in case.documents if row.status != DocumentStatus.FAILED]
        progress = Progress(
            documents=len(documents),
            documents_finished=sum(
                d.status in (DocumentStatus.DONE, DocumentStatus.FAILED) for d in documents
            ),
            pages_done=sum(row.pages_done for row in case.documents),
            pages_total=None if None in totals else sum(t for t in totals if t is not None),
        )
        failure = (
            Failure(code=case.failure_code, detail=case.failure_detail or "") if case.failure_code else None
        )
        return cls(
            id=case.id,
            status=status_of(case),
            queue=case.queue,
            run=case.run,
            progress=progress,
            failure=failure,
            documents=documents,
            created_at=case.created_at,
            updated_at=case.updated_at,
        )


def status_of(case: Case) -> CaseStatus:
    return status_from(case.stage, {row.status for row in case.documents})


def status_from(stage: str, statuses: set[str]) -> CaseStatus:
    """A case's status from its stage and its documents' statuses."""
    if stage != CaseStage.OPEN:
        return CaseStatus(stage)
    if not statuses:
        return CaseStatus.AWAITING_DOCUMENTS
    if DocumentStatus.READING in statuses:
        return CaseStatus.READING
    if DocumentStatus.EXTRACTING in statuses:
        return CaseStatus.EXTRACTING
    if DocumentStatus.QUEUED in statuses:
        return CaseStatus.QUEUED
    # Every document is done or failed: the task that finished the last one is moving the case on.
    return CaseStatus.MATCHING
