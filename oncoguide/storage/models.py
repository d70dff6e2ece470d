"""Database tables: a case, its documents and an audit log of what happened to them.

Rows hold ids, states, counts and the pipeline's JSON output; the original files live in the
encrypted file store, named by `Document.storage_key`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Json = JSON().with_variant(JSONB(), "postgresql")
# The large blobs (document content and findings, a case's analysis) are plain JSON: written once, read
# back whole as text, never searched inside (migration 0003).
Blob = JSON()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class CaseStage(StrEnum):
    OPEN = "open"  # documents are being read; assembled when all of them are done or failed
    MATCHING = "matching"
    READY_FOR_REVIEW = "ready_for_review"
    RELEASED = "released"  # a navigator approved the guidance of this run for the patient
    FAILED = "failed"


class DocumentStatus(StrEnum):
    QUEUED = "queued"
    READING = "reading"
    EXTRACTING = "extracting"
    DONE = "done"
    FAILED = "failed"


UNFINISHED = (DocumentStatus.QUEUED, DocumentStatus.READING, DocumentStatus.EXTRACTING)
IN_PROGRESS = (DocumentStatus.READING, DocumentStatus.EXTRACTING)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    queue: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(24), default=CaseStage.OPEN)
    # Bumped by every upload and re-run, so that a task of an older run cannot overwrite a newer one.
    run: Mapped[int] = mapped_column(Integer, default=1)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_detail: Mapped[str | None] = mapped_column(Text)
    # The analysis without its documents and findings, which the document rows hold (state.finish_case).
    # Deferred, like the documents' JSON: status reads, which are frequent, never load it.
    analysis: Mapped[dict[str, Any] | None] = mapped_column(Blob, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    documents: Mapped[list[Document]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Document.created_at"
    )


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("case_id", "sha256", name="uq_documents_case_sha256"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.QUEUED, index=True)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    pages_total: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_detail: Mapped[str | None] = mapped_column(Text)
    # Large (word boxes make content about 60 kB a page): deferred, and loaded together when needed.
    content: Mapped[dict[str, Any] | None] = mapped_column(
        Blob, doc="the domain Document as JSON", deferred=True, deferred_group="payload"
    )
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(
        Blob, deferred=True, deferred_group="payload"
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    case: Mapped[Case] = relationship(back_populates="documents")


class CaseEvent(Base):
    """The audit log: ids, kinds and counts only, never record text. Kept after a case is deleted.

    `actor` is the person (owner or navigator id) who read or changed the case; null for the workers.
    """

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(32), index=True)
    document_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
