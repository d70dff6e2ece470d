"""The whole service with its real parts: the API in-process, Celery worker processes on the real Redis,
results in a real PostgreSQL database. Each wait is bounded."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures_pdf import text_pdf
from prometheus_client.parser import text_string_to_metric_families
from service_fixtures import (  # noqa: F401  (fixtures)
    FINISHED,
    RedisServer,
    Worker,
    client_for,
    database_url,
    drop_namespace,
    make_settings,
    private_redis,
    replace,
    settings,
    start_worker,
    upload,
    wait_for_case,
    wait_until,
)
from sqlalchemy import func, select

from oncoguide.domain import Analysis, PatientProfile
from oncoguide.pipeline import analyze, read_and_extract
from oncoguide.storage import state
from oncoguide.storage.db import session_scope
from oncoguide.storage.files import FileStore
from oncoguide.storage.models import CaseEvent
from oncoguide.storage.models import Document as DocumentRow
from oncoguide.storage.settings import Settings
from workers.enqueue import Enqueuer
from workers.factory import CASE_TASK, DOCUMENT_TASK, make_celery
from workers.sweeper import sweep

LUNG = sorted((Path(__file__).resolve().parents[1] / "examples" / "lung").glob("*.pdf"))
StartWorker = Callable[[Settings], Worker]


@pytest.fixture(scope="module")
def in_process() -> Analysis:
    return analyze(LUNG)


def _essentials(profile: PatientProfile) -> dict[str, object]:
    return {
        "cancer_type": profile.cancer_type.value,
        "histology": profile.histology.value,
        "t": profile.t.value,
        "n": profile.n.value,
        "m": profile.m.value,
        "stage_group": profile.stage_group.value,
        "biomarkers": sorted((f.value, f.display, f.assertion) for f in profile.biomarkers),
        "treatments": sorted((f.value, f.display) for f in profile.treatments),
    }


def _done_events(settings: Settings, case_id: str) -> dict[str | None, int]:  # noqa: F811
    with session_scope(settings.database) as session:
        rows = session.execute(
            select(CaseEvent.document_id, func.count())
            .where(CaseEvent.case_id == case_id, CaseEvent.kind == "document.done")
            .group_by(CaseEvent.document_id)
        ).all()
    return dict(rows)


def test_records_through_the_service_give_the_in_process_result(
    settings: Settings,  # noqa: F811
    start_worker: StartWorker,  # noqa: F811
    in_process: Analysis,
    tmp_path: Path,
) -> None:
    worker = start_worker(settings)
    # The pool process loads the NLP pipeline as it starts, not during a patient's first document.
    wait_until(lambda: '"worker.warm"' in worker.log.read_text(errors="replace"), timeout=60)
    client = client_for(settings)
    case_id = client.post("/cases").json()["id"]
    for path in LUNG:
        assert upload(client, case_id, path.name, path.read_bytes()).status_code == 201
    # Sniffing cannot tell that a PDF is password-protected: it is accepted, then fails on its own.
    locked = text_pdf(tmp_path / "locked.pdf", [["Pathology report"]], encrypt=True)
    assert upload(client, case_id, "locked.pdf", locked.read_bytes()).status_code == 201

    case = wait_for_case(client, case_id, timeout=90)

    assert case["status"] == "ready_for_review", case
    by_name = {document["filename"]: document for document in case["documents"]}
    assert by_name["locked.pdf"]["status"] == "failed"
    assert by_name["locked.pdf"]["failure"]["code"] == "encrypted_pdf"
    assert "password" in by_name["locked.pdf"]["failure"]["detail"]
    assert all(by_name[path.name]["status"] == "done" for path in LUNG)
    assert case["progress"]["pages_done"] == case["progress"]["pages_total"] == 7

    profile = PatientProfile.model_validate(client.get(f"/cases/{case_id}/profile").json())
    assert _essentials(profile) == _essentials(in_process.profile)
    assert profile.stage_group.chosen and profile.stage_group.chosen.evidence  # evidence comes along
    guidance = client.get(f"/cases/{case_id}/guidance").json()
    expected = in_process.guidance.model_dump(mode="json")
    assert [s["id"] for s in guidance["sections"]] == [s["id"] for s in expected["sections"]]
    assert [[t["text"] for t in s["statements"]] for s in guidance["sections"]] == [
        [t["text"] for t in s["statements"]] for s in expected["sections"]
    ]
    html = client.get(f"/cases/{case_id}/guidance", headers={"Accept": "text/html"})
    assert (
        html.headers["content-type"].startswith("text/html")
        and in_process.guidance.disclaimer[:40] in html.text
    )
    markdown = client.get(f"/cases/{case_id}/guidance?format=markdown")
    assert markdown.headers["content-type"].startswith("text/markdown") and "#" in markdown.text
    assert set(_done_events(settings, case_id).values()) == {1}  # each document read and stored once

    # A re-run reads everything again and gets the same answer.
    rerun = client.post(f"/cases/{case_id}/run")
    assert rerun.status_code == 202 and rerun.json()["run"] == case["run"] + 1
    again = wait_for_case(client, case_id, timeout=90)
    assert again["status"] == "ready_for_review" and again["run"] == case["run"] + 1
    rerun_profile = PatientProfile.model_validate(client.get(f"/cases/{case_id}/profile").json())
    assert _essentials(rerun_profile) == _essentials(in_process.profile)


def test_work_accepted_while_the_broker_was_down_is_finished_by_the_sweeper(
    settings: Settings,  # noqa: F811
    start_worker: StartWorker,  # noqa: F811
) -> None:
    # The API commits the upload, cannot enqueue it (no broker there), and still answers 201.
    broker_down = client_for(replace(settings, broker_url="redis://127.0.0.1:1/0"))
    case_id = broker_down.post("/cases").json()["id"]
    response = upload(broker_down, case_id, LUNG[0].name, LUNG[0].read_bytes())
    assert response.status_code == 201
    start_worker(settings)
    client = client_for(settings)
    assert client.get(f"/cases/{case_id}").json()["status"] == "queued"

    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.stale_after + 1)
    report = sweep(Enqueuer(make_celery(settings)), now=later)

    assert report.documents >= 1
    case = wait_for_case(client, case_id, timeout=60)
    assert case["status"] == "ready_for_review"
    assert _done_events(settings, case_id) == {response.json()["id"]: 1}


def test_a_worker_killed_mid_document_loses_nothing_and_does_nothing_twice(
    database_url: str,  # noqa: F811
    start_worker: StartWorker,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Its own queues, so that no other worker of the module picks the redelivered task up.
    own = make_settings(database_url, tmp_path / "storage", visibility_timeout=3)
    try:
        _kill_and_recover(own, start_worker, tmp_path)
    finally:
        drop_namespace(own)


def _kill_and_recover(settings: Settings, start_worker: StartWorker, tmp_path: Path) -> None:  # noqa: F811
    lines = [f"Line {n}: the report was reviewed with the patient in clinic today." for n in range(40)]
    long_record = text_pdf(tmp_path / "long-history.pdf", [lines] * 400)  # a few seconds of reading
    first = start_worker(settings)
    client = client_for(settings)
    case_id = client.post("/cases").json()["id"]
    long_id = upload(client, case_id, long_record.name, long_record.read_bytes()).json()["id"]
    for path in LUNG:
        upload(client, case_id, path.name, path.read_bytes())

    def reading_long() -> bool:
        with session_scope(settings.database) as session:
            row = session.get(DocumentRow, long_id)
            return row is not None and row.status == "reading" and 0 < row.pages_done < 400

    wait_until(reading_long, timeout=60, interval=0.05)
    first.kill()
    assert client.get(f"/cases/{case_id}").json()["status"] == "reading"

    start_worker(settings)
    case = wait_for_case(client, case_id, timeout=90)

    assert case["status"] == "ready_for_review", case
    documents = {document["id"]: document for document in case["documents"]}
    assert documents[long_id]["status"] == "done" and documents[long_id]["attempts"] >= 2
    assert _done_events(settings, case_id) == dict.fromkeys(documents, 1)
    expected = sum(len(read_and_extract(path)[1]) for path in [long_record, *LUNG])
    with session_scope(settings.database) as session:
        stored = session.scalars(select(DocumentRow.findings).where(DocumentRow.case_id == case_id)).all()
    assert sum(len(findings or []) for findings in stored) == expected
    assert client.get(f"/cases/{case_id}/guidance").status_code == 200


def test_a_case_its_worker_left_matching_is_finished_by_the_redelivered_document_task(
    database_url: str,  # noqa: F811
    start_worker: StartWorker,  # noqa: F811
    tmp_path: Path,
) -> None:
    own = make_settings(database_url, tmp_path / "storage")
    try:
        client = client_for(own)
        case_id = client.post("/cases").json()["id"]
        document_id = upload(client, case_id, LUNG[0].name, LUNG[0].read_bytes()).json()["id"]
        # What a worker did before it died while assembling the case in the document task: the document
        # is stored and the case matching, but its message was never acknowledged, so it comes again.
        with session_scope(own.database) as session:
            claim = state.claim_document(session, document_id, own.max_attempts)
        assert claim is not None
        with FileStore.from_settings(own).decrypted_copy(claim.storage_key, claim.filename) as path:
            document, findings = read_and_extract(path)
        with session_scope(own.database) as session:
            assert state.complete_document(session, claim, document, findings)
        with session_scope(own.database) as session:
            assert state.start_matching_if_complete(session, case_id) is not None

        start_worker(own)
        case = wait_for_case(client, case_id)

        assert case["status"] == "ready_for_review"
        assert _done_events(own, case_id) == {document_id: 1}
        with session_scope(own.database) as session:
            ready = session.scalar(
                select(func.count()).where(CaseEvent.case_id == case_id, CaseEvent.kind == "case.ready")
            )
        assert ready == 1
    finally:
        drop_namespace(own)


def _scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_show_queue_depth_task_durations_failures_and_cases(
    database_url: str,  # noqa: F811
    start_worker: StartWorker,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Counters of its own; no redelivery of a task that waits for a slow (loaded) pool process to start.
    own = make_settings(database_url, tmp_path / "storage", visibility_timeout=60)
    try:
        client = client_for(own)
        case_id = client.post("/cases", json={"queue": "bulk"}).json()["id"]
        locked = text_pdf(tmp_path / "locked.pdf", [["Pathology report"]], encrypt=True)
        upload(client, case_id, LUNG[0].name, LUNG[0].read_bytes())
        upload(client, case_id, locked.name, locked.read_bytes())
        before = _scrape(client)
        assert before[("oncoguide_queue_depth", (("queue", "bulk"),))] == 2
        assert before[("oncoguide_queue_depth", (("queue", "patient"),))] == 0
        assert before[("oncoguide_cases", (("stage", "open"),))] >= 1

        start_worker(own)  # a prefork worker: the tasks run in its pool process, not in this one
        assert wait_for_case(client, case_id)["status"] == "ready_for_review"
        read, assembled = ("task", DOCUMENT_TASK), ("task", CASE_TASK)
        # A task's duration is recorded after its last commit, which the client may see first.
        count = ("oncoguide_task_duration_seconds_count", (read,))
        wait_until(lambda: _scrape(client)[count] >= 2, 10)
        after = _scrape(client)
        assert after[count] == 2
        # The document task that finished the case assembled it: no case task was needed.
        assert after[("oncoguide_task_duration_seconds_count", (assembled,))] == 0
        assert after[("oncoguide_task_duration_seconds_bucket", (("le", "+Inf"), read))] == 2
        assert 0 < after[("oncoguide_task_duration_seconds_sum", (read,))] < 60
        assert after[("oncoguide_task_failures_total", (("reason", "encrypted_pdf"), read))] == 1
        assert after[("oncoguide_queue_depth", (("queue", "bulk"),))] == 0
        assert after[("oncoguide_cases", (("stage", "ready_for_review"),))] >= 1
        assert after[("oncoguide_documents", (("status", "failed"),))] >= 1
        assert after[("oncoguide_metrics_store_up", ())] == 1
    finally:
        drop_namespace(own)


def test_a_redis_restart_while_cases_are_queued_loses_no_accepted_case(
    database_url: str,  # noqa: F811
    private_redis: RedisServer,  # noqa: F811  (set up first, so torn down after the worker)
    start_worker: StartWorker,  # noqa: F811
    tmp_path: Path,
) -> None:
    own = make_settings(database_url, tmp_path / "storage", broker_url=private_redis.url, stale_after=3)
    lines = [f"Line {n}: the report was reviewed with the patient in clinic today." for n in range(40)]
    long_record = text_pdf(tmp_path / "long-history.pdf", [lines] * 300)  # holds the worker a few seconds
    start_worker(own)
    client = client_for(own)
    cases = [client.post("/cases").json()["id"] for _ in range(4)]
    long_id = upload(client, cases[0], long_record.name, long_record.read_bytes()).json()["id"]
    for case_id, path in zip(cases[1:], LUNG, strict=True):
        assert upload(client, case_id, path.name, path.read_bytes()).status_code == 201

    def reading_long() -> bool:
        with session_scope(own.database) as session:
            return session.get(DocumentRow, long_id).status == "reading"

    wait_until(reading_long, timeout=30, interval=0.05)
    private_redis.kill()  # the queued tasks of cases 1-3 are gone with it
    queued = [client.get(f"/cases/{case_id}").json()["status"] for case_id in cases[1:]]
    assert queued == ["queued"] * 3
    during = client.post("/cases").json()["id"]  # accepted while Redis is down: committed, not sent
    assert upload(client, during, LUNG[0].name, LUNG[0].read_bytes()).status_code == 201
    cases.append(during)
    private_redis.start()

    # The periodic sweeper, as beat runs it: re-enqueue what has been idle longer than stale_after.
    enqueuer = Enqueuer(make_celery(own))
    deadline = time.monotonic() + 120
    while not all(client.get(f"/cases/{case_id}").json()["status"] in FINISHED for case_id in cases):
        assert time.monotonic() < deadline, [client.get(f"/cases/{c}").json()["status"] for c in cases]
        sweep(enqueuer)
        time.sleep(1)

    for case_id in cases:
        case = client.get(f"/cases/{case_id}").json()
        assert case["status"] == "ready_for_review", case
        assert _done_events(own, case_id) == {document["id"]: 1 for document in case["documents"]}
        with session_scope(own.database) as session:
            ready = session.scalar(
                select(func.count()).where(CaseEvent.case_id == case_id, CaseEvent.kind == "case.ready")
            )
        assert ready == 1  # assembled once
