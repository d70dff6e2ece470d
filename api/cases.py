"""The case routes: create, upload, status, profile, guidance, re-run, delete. No pipeline logic here:
uploads are stored and enqueued, results are read back from the database."""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlalchemy import Text, cast, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth import Caller, Role, current_caller, current_navigator, current_owner
from api.deps import Services, services
from api.problems import Problem, ProblemDetails, not_found
from api.schemas import CaseOut, CaseStatus, DocumentOut, NewCase, ReleaseCase, status_from, status_of
from api.uploads import Upload, receive_upload
from oncoguide.domain import Analysis, Guidance, PatientProfile
from oncoguide.render import render_html, render_markdown
from oncoguide.storage import state
from oncoguide.storage.db import session_scope
from oncoguide.storage.models import Case, CaseStage, Document
from workers.logs import log

logger = logging.getLogger("oncoguide.api")
router = APIRouter(prefix="/cases", tags=["cases"])
Owner = Annotated[str, Depends(current_owner)]
Reader = Annotated[Caller, Depends(current_caller)]
Navigator = Annotated[Caller, Depends(current_navigator)]
Svc = Annotated[Services, Depends(services)]
PROBLEM = {"model": ProblemDetails, "content": {"application/problem+json": {}}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {**PROBLEM, "description": "no such case"}}
NOT_READY: dict[int | str, dict[str, Any]] = {409: {**PROBLEM, "description": "the case is not ready yet"}}
FORBIDDEN: dict[int | str, dict[str, Any]] = {403: {**PROBLEM, "description": "not allowed for this role"}}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def _case(session: Session, case_id: str, owner: str) -> Case:
    case = state.owned_case(session, case_id, owner)
    if case is None:
        raise not_found("case")
    return case


def _readable(session: Session, case_id: str, caller: Caller) -> Case:
    """The owner reads their case; a navigator reads any case, to review it. Callers audit the read."""
    case = session.get(Case, case_id)
    if case is None or (caller.role is Role.OWNER and case.owner_id != caller.id):
        raise not_found("case")
    return case


def _audit_read(session: Session, case: Case, caller: Caller, kind: str, **detail: object) -> None:
    state.log_event(session, case.id, kind, actor=caller.id, role=caller.role, run=case.run, **detail)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a case")
def create_case(owner: Owner, svc: Svc, response: Response, body: NewCase | None = None) -> CaseOut:
    with session_scope(svc.settings.database) as db:
        case = state.create_case(db, owner, (body or NewCase()).queue)
        created = CaseOut.of(case)
    response.headers["Location"] = f"/cases/{created.id}"
    log(logger, "case.created", case_id=created.id, queue=created.queue)
    return created


MAX_WAIT = 30.0  # seconds a status request may be held open
FINISHED = frozenset({CaseStatus.READY_FOR_REVIEW, CaseStatus.RELEASED, CaseStatus.FAILED})


@router.get(
    "/{case_id}",
    summary="Status and progress of a case",
    description="With `wait=S` the answer is held until the case's status differs from the status the "
    "request found, or S seconds have passed: a client learns of a change at once with few requests. "
    "With `until=finished` as well, it is held until the case is ready for review, released or failed "
    "(or S seconds have passed), for a client that wants the result rather than each step.",
    responses=NOT_FOUND,
)
async def get_case(
    case_id: str,
    caller: Reader,
    svc: Svc,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT, description="seconds to wait for a change of status")
    ] = 0,
    until: Annotated[
        Literal["change", "finished"],
        Query(description="what `wait` waits for: any change of status, or the case's end"),
    ] = "change",
) -> CaseOut:
    url = svc.settings.database
    if wait > 0:
        # Watching before the first look: a change between the look and the watch is not missed.
        with svc.changes.watch(case_id) as waiter:
            found = first = await run_in_threadpool(_status, url, case_id, caller)
            deadline = time.monotonic() + wait
            while found not in FINISHED and (left := deadline - time.monotonic()) > 0:
                await waiter.wait(min(left, svc.changes.interval()))
                found = await run_in_threadpool(_status, url, case_id, caller)
                if until == "change" and found != first:
                    break
    return await run_in_threadpool(_read_status, url, case_id, caller)


def _status(url: str, case_id: str, caller: Caller) -> CaseStatus:
    """The case's status in one small query."""
    with session_scope(url) as db:
        rows = db.execute(
            select(Case.stage, Case.owner_id, Document.status)
            .outerjoin(Document, Document.case_id == Case.id)
            .where(Case.id == case_id)
        ).all()
    if not rows or (caller.role is Role.OWNER and rows[0].owner_id != caller.id):
        raise not_found("case")
    return status_from(rows[0].stage, {row.status for row in rows if row.status is not None})


def _read_status(url: str, case_id: str, caller: Caller) -> CaseOut:
    with session_scope(url) as db:
        case = _readable(db, case_id, caller)
        return _seen(db, case, caller, status_of(case))


def _seen(db: Session, case: Case, caller: Caller, status: CaseStatus) -> CaseOut:
    # The status holds no record content (states, counts, file names the caller sent), and clients
    # poll it: a read is audited once for each caller, run and status, so the log shows who saw
    # which state of the case without a row per poll. Profile and guidance reads are all audited.
    if state.last_read(db, case.id, caller.id) != (case.run, status):
        _audit_read(db, case, caller, "case.read", status=status)
    return CaseOut.of(case)


@router.post(
    "/{case_id}/documents",
    status_code=status.HTTP_201_CREATED,
    summary="Upload one document (PDF, plain text or page image) to a case",
    description="Multipart, one file in the field `file`. The type is read from the content, not the "
    "name. The same file uploaded again returns the stored document with status 200.",
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {"model": DocumentOut, "description": "this file is already in the case"},
        **NOT_FOUND,
        **FORBIDDEN,
        413: {**PROBLEM, "description": "larger than the upload limit"},
        415: {**PROBLEM, "description": "not a PDF, plain text or page image (or not multipart)"},
        422: {
            **PROBLEM,
            "description": "empty file, a PDF with more pages than the limit, or no `file` field",
        },
    },
)
async def upload_document(
    case_id: str, owner: Owner, svc: Svc, request: Request, response: Response
) -> DocumentOut:
    await run_in_threadpool(_check_case, svc, case_id, owner)
    upload = await receive_upload(request, svc.store, svc.settings.limits)
    document, queue, created = await run_in_threadpool(_register, svc, case_id, owner, upload)
    if created:
        svc.enqueuer.document(document.id, queue)
        log(logger, "document.uploaded", case_id=case_id, document_id=document.id, bytes=document.size_bytes)
    else:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/cases/{case_id}"
    return document


def _check_case(svc: Services, case_id: str, owner: str) -> None:
    with session_scope(svc.settings.database) as session:
        _case(session, case_id, owner)


def _register(svc: Services, case_id: str, owner: str, upload: Upload) -> tuple[DocumentOut, str, bool]:
    """Commit the stored file as a document; a file the case already has is not stored twice."""
    try:
        with session_scope(svc.settings.database) as session:
            case = _case(session, case_id, owner)
            existing = state.document_with_hash(session, case_id, upload.stored.sha256)
            if existing is None:
                row = state.add_document(session, case, upload.stored, upload.filename, upload.media_type)
                return DocumentOut.of(row), case.queue, True
            state.log_event(session, case_id, "document.resubmitted", existing.id, actor=owner)
    except IntegrityError:  # the same file arrived twice at once; the other request stored it
        existing = None
    svc.store.delete(upload.stored.storage_key)
    with session_scope(svc.settings.database) as session:
        existing = existing or state.document_with_hash(session, case_id, upload.stored.sha256)
        if existing is None:
            raise not_found("case")
        return DocumentOut.of(existing), "", False


def _not_ready(case: Case) -> Problem:
    detail = f"the case is {case.stage}; wait until its status is ready_for_review"
    if case.stage == CaseStage.FAILED:
        detail = f"the case failed: {case.failure_detail}"
    return Problem(409, "not_ready", "Case not ready", detail, case_status=case.stage)


def _ready(case: Case) -> Case:
    if case.stage not in (CaseStage.READY_FOR_REVIEW, CaseStage.RELEASED):
        raise _not_ready(case)
    return case


def _analysis(case: Case) -> Analysis:
    analysis = state.stored_analysis(_ready(case))
    if analysis is None:
        raise _not_ready(case)
    return analysis


def _part(db: Session, case: Case, name: str) -> Response:
    """One part of the stored analysis (its profile or guidance), read alone from inside the column and
    sent as the JSON text the worker stored: not parsed, validated and encoded again on each read."""
    raw = db.scalar(select(cast(Case.analysis[name], Text)).where(Case.id == _ready(case).id))
    if raw is None:
        raise _not_ready(case)
    return Response(raw, media_type="application/json")


@router.get(
    "/{case_id}/profile",
    summary="The reconciled profile, each value with the findings and evidence behind it",
    response_model=PatientProfile,
    responses={**NOT_FOUND, **NOT_READY},
)
def get_profile(case_id: str, caller: Reader, svc: Svc) -> Response:
    with session_scope(svc.settings.database) as db:
        case = _readable(db, case_id, caller)
        profile = _part(db, case, "profile")
        _audit_read(db, case, caller, "profile.read")
    return profile


class GuidanceFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    MARKDOWN = "markdown"


def _negotiate(requested: GuidanceFormat | None, accept: str) -> GuidanceFormat:
    if requested is not None:
        return requested
    if "text/html" in accept:
        return GuidanceFormat.HTML
    if "text/markdown" in accept:
        return GuidanceFormat.MARKDOWN
    return GuidanceFormat.JSON


@router.get(
    "/{case_id}/guidance",
    summary="The guidance: JSON, or HTML and Markdown with `?format=` or an Accept header",
    response_model=Guidance,
    responses={
        200: {"content": {"text/html": {}, "text/markdown": {}}},
        **NOT_FOUND,
        **NOT_READY,
    },
)
def get_guidance(
    case_id: str,
    caller: Reader,
    svc: Svc,
    request: Request,
    format: Annotated[GuidanceFormat | None, Query(description="overrides the Accept header")] = None,
) -> Response:
    chosen = _negotiate(format, request.headers.get("accept", ""))
    with session_scope(svc.settings.database) as db:
        case = _readable(db, case_id, caller)
        as_json = chosen is GuidanceFormat.JSON
        answer = _part(db, case, "guidance") if as_json else _analysis(case)
        _audit_read(db, case, caller, "guidance.read", format=chosen)
    if isinstance(answer, Response):
        return answer
    if chosen is GuidanceFormat.HTML:
        return HTMLResponse(render_html(answer))
    return PlainTextResponse(render_markdown(answer), media_type="text/markdown; charset=utf-8")


@router.post(
    "/{case_id}/release",
    summary="A navigator approves the reviewed guidance: the case becomes released",
    description="Only a case that is ready_for_review, at the run the navigator reviewed. Releasing a "
    "released case again at the same run is harmless; a newer upload or re-run needs a new review.",
    responses={
        **NOT_FOUND,
        **FORBIDDEN,
        409: {**PROBLEM, "description": "not ready_for_review, or not at the reviewed run"},
    },
)
def release_case(case_id: str, body: ReleaseCase, navigator: Navigator, svc: Svc) -> CaseOut:
    with session_scope(svc.settings.database) as db:
        case = _readable(db, case_id, navigator)
        if case.stage == CaseStage.RELEASED and case.run == body.run:
            return CaseOut.of(case)  # a retried release
        if not state.release_case(db, case_id, body.run, navigator.id):
            detail = (
                f"the case is {status_of(case)} at run {case.run}; only a case that is ready_for_review can "
                f"be released, at the run that was reviewed (run {body.run})"
            )
            raise Problem(
                409, "not_releasable", "Case cannot be released", detail, case_status=status_of(case)
            )
        released = CaseOut.of(case)
    log(logger, "case.released", case_id=case_id, run=body.run)
    return released


@router.post(
    "/{case_id}/run",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Run the case again: read every document anew, then reconcile and match",
    responses={**NOT_FOUND, 409: {**PROBLEM, "description": "the case has no documents"}},
)
def run_case(case_id: str, owner: Owner, svc: Svc) -> CaseOut:
    with session_scope(svc.settings.database) as session:
        case = _case(session, case_id, owner)
        if not case.documents:
            raise Problem(409, "no_documents", "No documents", "upload at least one document before running")
        documents = [row.id for row in state.rerun(session, case)]
        queue = case.queue
    for document_id in documents:
        svc.enqueuer.document(document_id, queue)
    log(logger, "case.rerun", case_id=case_id, documents=len(documents))
    with session_scope(svc.settings.database) as session:
        return CaseOut.of(_case(session, case_id, owner))


@router.delete(
    "/{case_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a case, its documents, results and stored files",
    responses=NOT_FOUND,
)
def delete_case(case_id: str, owner: Owner, svc: Svc) -> Response:
    with session_scope(svc.settings.database) as session:
        keys = state.delete_case(session, _case(session, case_id, owner))
    for key in keys:
        svc.store.delete(key)
    log(logger, "case.deleted", case_id=case_id, documents=len(keys))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
