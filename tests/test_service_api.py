"""The HTTP API against the real PostgreSQL and Redis (no worker): uploads, problems, auth, deletion."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
import zipfile
from pathlib import Path

import redis
from fixtures_pdf import text_pdf
from service_fixtures import client_for, database_url, replace, settings, upload  # noqa: F401
from sqlalchemy import select

from api.changes import FALLBACK, CaseChanges
from api.schemas import CaseStatus, status_from
from oncoguide.pipeline import assemble, read_and_extract
from oncoguide.storage import state
from oncoguide.storage.db import session_scope
from oncoguide.storage.files import FileStore
from oncoguide.storage.models import Case, CaseEvent, CaseStage, DocumentStatus
from oncoguide.storage.settings import Settings
from workers.enqueue import Enqueuer
from workers.factory import CASE_TASK, DOCUMENT_TASK, make_celery

LUNG = Path(__file__).resolve().parents[1] / "examples" / "lung"
PROBLEM = "application/problem+json"


def _problem(response, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == status
    if code is not None:
        assert body["code"] == code and body["type"].endswith(code)
    return body


def _files(settings: Settings) -> list[str]:  # noqa: F811
    return sorted(path.suffix for path in settings.files_dir.iterdir())


def test_health_and_readiness(settings: Settings) -> None:  # noqa: F811
    client = client_for(settings)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    down = client_for(replace(settings, broker_url="redis://127.0.0.1:1/0"))
    body = _problem(down.get("/readyz"), 503)
    assert body["checks"]["database"] == "ok" and body["checks"]["broker"].startswith("error")


def test_bad_uploads_get_their_specific_problem_and_leave_the_case_unharmed(
    settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    client = client_for(settings)
    case_id = client.post("/cases").json()["id"]
    good = upload(client, case_id, "01-pathology.pdf", (LUNG / "01-pathology.pdf").read_bytes())
    assert good.status_code == 201 and good.json()["status"] == "queued"

    renamed = _problem(
        upload(client, case_id, "notes.pdf", b"Clinic note: doing well.\n" * 20), 415, "not_a_pdf"
    )
    assert "notes.pdf" in renamed["detail"] and "plain text" in renamed["detail"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("word/document.xml", "<w:document/>")
    docx = _problem(upload(client, case_id, "letter.docx", archive.getvalue()), 415, "unsupported_file_type")
    assert "ZIP archive" in docx["detail"]
    empty = _problem(upload(client, case_id, "empty.txt", b"", "text/plain"), 422, "empty_file")
    assert "empty.txt" in empty["detail"] and "0 bytes" in empty["detail"]
    missing = client.post(f"/cases/{case_id}/documents", files={"other": ("a.txt", b"x", "text/plain")})
    _problem(missing, 422, "missing_file")
    _problem(client.post(f"/cases/{case_id}/documents", content=b"raw"), 415, "not_multipart")

    small = client_for(replace(settings, max_upload_bytes=32 * 1024))
    big = text_pdf(tmp_path / "big.pdf", [[f"line {n} of a long report" for n in range(40)]] * 60)
    assert big.stat().st_size > 32 * 1024  # less than the multipart slack: refused while streaming
    too_large = _problem(upload(small, case_id, "big.pdf", big.read_bytes()), 413, "file_too_large")
    assert "big.pdf" in too_large["detail"] and "limit" in too_large["detail"]

    case = client.get(f"/cases/{case_id}").json()
    assert [document["filename"] for document in case["documents"]] == ["01-pathology.pdf"]
    assert case["status"] == "queued" and case["progress"]["documents"] == 1
    assert _files(settings).count(".part") == 0  # refused uploads leave nothing behind


def test_the_same_file_twice_is_one_document(settings: Settings) -> None:  # noqa: F811
    client = client_for(settings)
    case_id = client.post("/cases", json={"queue": "bulk"}).json()["id"]
    data = (LUNG / "02-genomic-profiling.pdf").read_bytes()
    first = upload(client, case_id, "02-genomic-profiling.pdf", data)
    again = upload(client, case_id, "copy.pdf", data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    case = client.get(f"/cases/{case_id}").json()
    assert case["queue"] == "bulk" and len(case["documents"]) == 1


def test_results_before_they_exist_and_unknown_cases_are_problems(settings: Settings) -> None:  # noqa: F811
    client = client_for(settings)
    case_id = client.post("/cases").json()["id"]
    assert client.get(f"/cases/{case_id}").json()["status"] == "awaiting_documents"
    _problem(client.get(f"/cases/{case_id}/guidance"), 409, "not_ready")
    _problem(client.get(f"/cases/{case_id}/profile"), 409, "not_ready")
    _problem(client.post(f"/cases/{case_id}/run"), 409, "no_documents")
    _problem(client.get("/cases/0123456789abcdef0123456789abcdef"), 404, "not_found")
    _problem(upload(client, "nope", "a.pdf", (LUNG / "01-pathology.pdf").read_bytes()), 404, "not_found")
    _problem(client.post("/cases", json={"queue": "vip"}), 422, "invalid_request")
    _problem(client.get("/no/such/route"), 404)


def test_delete_removes_the_rows_and_the_encrypted_files(settings: Settings) -> None:  # noqa: F811
    client = client_for(settings)
    case_id = client.post("/cases").json()["id"]
    document = upload(client, case_id, "03.pdf", (LUNG / "03-oncology-consult.pdf").read_bytes()).json()
    before = set(settings.files_dir.iterdir())
    assert client.delete(f"/cases/{case_id}").status_code == 204
    removed = before - set(settings.files_dir.iterdir())
    assert len(removed) == 1 and next(iter(removed)).suffix == ".enc"
    _problem(client.get(f"/cases/{case_id}"), 404)
    assert document["id"]


def test_api_keys_map_callers_to_owners_who_see_only_their_cases(settings: Settings) -> None:  # noqa: F811
    keyed = client_for(replace(settings, api_keys="key-a:alice,key-b:bob"))
    _problem(keyed.post("/cases"), 401, "unauthenticated")
    _problem(keyed.post("/cases", headers={"X-API-Key": "wrong"}), 401, "unauthenticated")
    case_id = keyed.post("/cases", headers={"X-API-Key": "key-a"}).json()["id"]
    assert keyed.get(f"/cases/{case_id}", headers={"X-API-Key": "key-a"}).status_code == 200
    _problem(keyed.get(f"/cases/{case_id}", headers={"X-API-Key": "key-b"}), 404, "not_found")


def test_openapi_documents_the_upload_and_the_problems(settings: Settings) -> None:  # noqa: F811
    schema = client_for(settings).get("/openapi.json").json()
    post = schema["paths"]["/cases/{case_id}/documents"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"413", "415", "422"} <= post["responses"].keys()
    assert schema["components"]["schemas"]["ProblemDetails"]["examples"]
    assert schema["components"]["schemas"]["CaseOut"]["examples"]


def test_no_record_text_or_file_names_in_the_logs(settings: Settings, caplog) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client = client_for(settings)
    case_id = client.post("/cases").json()["id"]
    with caplog.at_level("INFO"):
        upload(client, case_id, "jane-doe-pathology.pdf", (LUNG / "01-pathology.pdf").read_bytes())
        upload(client, case_id, "jane-doe.pdf", b"Patient Jane Doe, adenocarcinoma", "text/plain")
    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "document.uploaded" in logged
    assert "jane" not in logged.lower() and "adenocarcinoma" not in logged.lower()


def _make_ready(settings: Settings, case_id: str) -> int:  # noqa: F811
    """Do the workers' part in-process (claim, read, complete, assemble): the case is ready_for_review."""
    store = FileStore.from_settings(settings)
    with session_scope(settings.database) as session:
        document_ids = [row.id for row in session.get(Case, case_id).documents]
    for document_id in document_ids:
        with session_scope(settings.database) as session:
            claim = state.claim_document(session, document_id, settings.max_attempts)
        assert claim is not None
        with store.decrypted_copy(claim.storage_key, claim.filename) as path:
            document, findings = read_and_extract(path)
        with session_scope(settings.database) as session:
            state.complete_document(session, claim, document, findings)
    with session_scope(settings.database) as session:
        started = state.start_matching_if_complete(session, case_id)
    assert started is not None
    run = started[0]
    with session_scope(settings.database) as session:
        inputs = state.case_inputs(session, case_id, run)
    assert inputs is not None
    with session_scope(settings.database) as session:
        assert state.finish_case(session, case_id, run, assemble(*inputs))
    return run


def test_a_navigator_releases_the_reviewed_run_and_every_access_is_audited(settings: Settings) -> None:  # noqa: F811
    keyed = client_for(replace(settings, api_keys="key-a:alice,key-b:bob", navigator_keys="key-n:nina"))
    alice, bob, nina = ({"X-API-Key": key} for key in ("key-a", "key-b", "key-n"))
    case_id = keyed.post("/cases", headers=alice).json()["id"]
    data = (LUNG / "01-pathology.pdf").read_bytes()
    keyed.post(f"/cases/{case_id}/documents", files={"file": ("01-pathology.pdf", data)}, headers=alice)
    _problem(keyed.post(f"/cases/{case_id}/release", json={"run": 2}, headers=nina), 409, "not_releasable")
    run = _make_ready(settings, case_id)

    assert keyed.get(f"/cases/{case_id}/guidance", headers=alice).status_code == 200  # at ready_for_review
    _problem(keyed.get(f"/cases/{case_id}/guidance", headers=bob), 404, "not_found")
    _problem(keyed.post(f"/cases/{case_id}/release", json={"run": run}, headers=alice), 403, "navigator_only")
    _problem(
        keyed.post(f"/cases/{case_id}/release", json={"run": run - 1}, headers=nina), 409, "not_releasable"
    )
    _problem(keyed.post(f"/cases/{case_id}/documents", files={"file": ("x.txt", b"x")}, headers=nina), 403)
    released = keyed.post(f"/cases/{case_id}/release", json={"run": run}, headers=nina)
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert keyed.post(f"/cases/{case_id}/release", json={"run": run}, headers=nina).status_code == 200
    assert keyed.get(f"/cases/{case_id}", headers=alice).json()["status"] == "released"
    assert keyed.get(f"/cases/{case_id}/guidance", headers=alice).json()["sections"]
    assert keyed.get(f"/cases/{case_id}/profile", headers=nina).status_code == 200

    with session_scope(settings.database) as session:
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).all()
        audit = [(event.actor, event.kind) for event in events if event.actor is not None]
        details = json.dumps([event.detail for event in events])
    assert audit == [
        ("alice", "case.created"),
        ("alice", "document.accepted"),
        ("alice", "guidance.read"),
        ("nina", "case.released"),
        ("alice", "case.read"),
        ("alice", "guidance.read"),
        ("nina", "profile.read"),
    ]  # refused requests change and read nothing, so they leave no event
    assert "pathology" not in details.lower() and "adenocarcinoma" not in details.lower()

    # New records need a new review: the upload opens a new run and the case is no longer released.
    keyed.post(f"/cases/{case_id}/documents", files={"file": ("b.txt", b"Stage IIIA.")}, headers=alice)
    assert keyed.get(f"/cases/{case_id}", headers=alice).json()["status"] == "queued"
    _problem(keyed.get(f"/cases/{case_id}/guidance", headers=alice), 409, "not_ready")


def test_on_one_machine_without_keys_the_local_user_may_release(settings: Settings) -> None:  # noqa: F811
    client = client_for(settings)
    case_id = client.post("/cases").json()["id"]
    upload(client, case_id, "01-pathology.pdf", (LUNG / "01-pathology.pdf").read_bytes())
    run = _make_ready(settings, case_id)
    assert client.post(f"/cases/{case_id}/release", json={"run": run}).json()["status"] == "released"


def test_metrics_still_answer_with_the_case_counts_when_redis_is_down(settings: Settings) -> None:  # noqa: F811
    client = client_for(replace(settings, broker_url="redis://127.0.0.1:1/0"))
    client.post("/cases")
    down = client.get("/metrics")
    assert down.status_code == 200
    assert "oncoguide_metrics_store_up 0.0" in down.text and 'oncoguide_cases{stage="open"}' in down.text
    assert "oncoguide_queue_depth" not in down.text


def test_a_pdf_over_the_page_limit_is_refused_at_upload(settings: Settings, tmp_path: Path) -> None:  # noqa: F811
    client = client_for(replace(settings, max_pages=5))
    case_id = client.post("/cases").json()["id"]
    before = set(settings.files_dir.iterdir())
    six = text_pdf(tmp_path / "six.pdf", [[f"page {n}"] for n in range(6)])
    body = _problem(upload(client, case_id, "six.pdf", six.read_bytes()), 422, "too_many_pages")
    assert "six.pdf" in body["detail"] and "limit 5" in body["detail"]
    assert (body["pages"], body["limit"]) == (6, 5)
    assert set(settings.files_dir.iterdir()) == before  # the refused file is not kept
    five = text_pdf(tmp_path / "five.pdf", [[f"page {n}"] for n in range(5)])
    assert upload(client, case_id, "five.pdf", five.read_bytes()).status_code == 201
    assert [d["filename"] for d in client.get(f"/cases/{case_id}").json()["documents"]] == ["five.pdf"]


def test_status_reads_are_audited_once_per_status_and_run(settings: Settings) -> None:  # noqa: F811
    client = client_for(settings)
    case_id = client.post("/cases").json()["id"]
    for _ in range(3):  # a client polling an unchanged status
        assert client.get(f"/cases/{case_id}").json()["status"] == "awaiting_documents"
    upload(client, case_id, "01-pathology.pdf", (LUNG / "01-pathology.pdf").read_bytes())
    for _ in range(2):
        assert client.get(f"/cases/{case_id}").json()["status"] == "queued"
    with session_scope(settings.database) as session:
        reads = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "case.read")
        ).all()
        seen = [(event.actor, event.detail["run"], event.detail["status"]) for event in reads]
    assert seen == [("local", 1, "awaiting_documents"), ("local", 2, "queued")]


def test_a_status_request_with_wait_returns_when_the_status_changes(settings: Settings) -> None:  # noqa: F811
    client = client_for(settings)
    case_id = client.post("/cases").json()["id"]
    document_id = upload(client, case_id, "a.pdf", (LUNG / "01-pathology.pdf").read_bytes()).json()["id"]
    started = time.monotonic()
    assert client.get(f"/cases/{case_id}?wait=0.6").json()["status"] == "queued"  # no change: the full wait
    assert 0.6 <= time.monotonic() - started < 3

    def claim_soon() -> None:  # what a worker does when it starts reading
        time.sleep(0.5)
        with session_scope(settings.database) as session:
            state.claim_document(session, document_id, settings.max_attempts)

    claimer = threading.Thread(target=claim_soon)
    started = time.monotonic()
    claimer.start()
    assert client.get(f"/cases/{case_id}?wait=20").json()["status"] == "reading"
    claimer.join()
    assert time.monotonic() - started < 5  # answered at the change, not after 20 s
    _problem(client.get(f"/cases/{case_id}?wait=31"), 422)


def test_a_status_request_can_wait_for_the_end_of_the_case_past_its_steps(settings: Settings) -> None:  # noqa: F811
    client = client_for(settings)
    case_id = client.post("/cases").json()["id"]
    document_id = upload(client, case_id, "a.pdf", (LUNG / "01-pathology.pdf").read_bytes()).json()["id"]

    def read_then_fail() -> None:  # what a worker does with a case whose only document is unreadable
        time.sleep(0.3)
        with session_scope(settings.database) as session:
            state.claim_document(session, document_id, settings.max_attempts)
        time.sleep(0.5)
        with session_scope(settings.database) as session:
            state.fail_document(session, document_id, "corrupt_pdf", "the file is damaged")
            matching = state.start_matching_if_complete(session, case_id)
        assert matching is not None
        with session_scope(settings.database) as session:
            state.fail_case(session, case_id, matching[0], "no_readable_document", "nothing could be read")

    worker = threading.Thread(target=read_then_fail)
    started = time.monotonic()
    worker.start()
    assert client.get(f"/cases/{case_id}?wait=20&until=finished").json()["status"] == "failed"
    worker.join()
    assert 0.8 <= time.monotonic() - started < 5  # past "reading", answered at the end, not after 20 s
    _problem(client.get(f"/cases/{case_id}?wait=1&until=ready"), 422)


def test_a_committed_change_wakes_the_requests_waiting_on_its_case_at_once(settings: Settings) -> None:  # noqa: F811
    """PostgreSQL NOTIFY from the transition's own transaction: no waiting request polls for it."""
    with session_scope(settings.database) as session:
        case = state.create_case(session, "owner", "patient")
        stored = FileStore.from_settings(settings).writer()
        stored.write(b"Stage IIIA.")
        document_id = state.add_document(session, case, stored.finish(), "a.txt", "text/plain").id
        case_id = case.id
    changes = CaseChanges(settings.database)

    def claim() -> None:
        with session_scope(settings.database) as session:
            state.claim_document(session, document_id, settings.max_attempts)

    async def woken_after() -> float:
        with changes.watch(case_id) as waiter, changes.watch("another-case") as other:
            deadline = time.monotonic() + 10
            while not changes.listening and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert changes.interval() == FALLBACK  # listening: waiters rely on the notices
            await waiter.wait(0.2)  # the wake-up every waiter gets once the listener listens
            await other.wait(0.2)
            started = time.monotonic()
            await asyncio.get_running_loop().run_in_executor(None, claim)
            await waiter.wait(FALLBACK)
            woken = time.monotonic() - started
            other_started = time.monotonic()
            await other.wait(0.5)
            assert time.monotonic() - other_started >= 0.5  # another case's waiter sleeps on
            return woken

    assert asyncio.run(woken_after()) < 1.0  # the notice, long before a waiter's own look


def test_a_case_whose_documents_are_all_finished_is_matching() -> None:
    """Between the last document's commit and the case's move to matching: not "queued" again."""
    assert status_from(CaseStage.OPEN, {DocumentStatus.DONE, DocumentStatus.FAILED}) == CaseStatus.MATCHING
    assert status_from(CaseStage.OPEN, {DocumentStatus.DONE, DocumentStatus.QUEUED}) == CaseStatus.QUEUED
    assert status_from(CaseStage.OPEN, set()) == CaseStatus.AWAITING_DOCUMENTS


def test_case_tasks_are_queued_ahead_of_document_tasks(settings: Settings) -> None:  # noqa: F811
    """Redis priorities, which a worker's BRPOP takes lowest first: a case task that finishes a case is
    not held back by the documents of cases uploaded before it."""
    own = replace(settings, namespace=f"{settings.namespace}priority-")  # queues of its own, dropped with
    client = client_for(own)  # the module's namespace
    case_id = client.post("/cases").json()["id"]
    upload(client, case_id, "a.pdf", (LUNG / "01-pathology.pdf").read_bytes())
    Enqueuer(make_celery(own)).case(case_id, 2, "patient")
    broker = redis.Redis.from_url(own.broker_url or "")
    try:
        queue = own.namespace + own.queue("patient")
        documents, cases = broker.lrange(queue + "\x06\x166", 0, -1), broker.lrange(queue, 0, -1)
    finally:
        broker.close()
    assert [json.loads(m)["headers"]["task"] for m in documents] == [DOCUMENT_TASK]
    assert [json.loads(m)["headers"]["task"] for m in cases] == [CASE_TASK]
