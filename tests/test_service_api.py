"""The HTTP API against the real PostgreSQL and Redis (no worker): uploads, problems, auth, deletion."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from fixtures_pdf import text_pdf
from service_fixtures import client_for, database_url, replace, settings, upload  # noqa: F401

from oncoguide.storage.settings import Settings

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
