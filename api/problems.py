"""Errors as RFC 9457 problem details (application/problem+json) with specific, actionable messages."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from workers.logs import log

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:oncoguide:problem:"
logger = logging.getLogger("oncoguide.api")


class ProblemDetails(BaseModel):
    type: str = Field(description="a URI naming the kind of problem; 'about:blank' for plain HTTP errors")
    title: str
    status: int
    detail: str
    code: str | None = Field(default=None, description="the stable problem code (the end of `type`)")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "type": "urn:oncoguide:problem:unsupported_file_type",
                    "title": "Unsupported file type",
                    "status": 415,
                    "detail": "scan.docx: unsupported file type (a ZIP archive, e.g. a Word .docx); "
                    "upload a PDF, a plain-text file or a page image (PNG, JPEG, TIFF)",
                    "code": "unsupported_file_type",
                }
            ]
        }
    }


class Problem(Exception):
    def __init__(self, status: int, code: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail, self.extra = status, code, title, detail, extra


def problem_response(problem: Problem) -> JSONResponse:
    body = {
        "type": TYPE_PREFIX + problem.code,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
        **problem.extra,
    }
    return JSONResponse(body, status_code=problem.status, media_type=MEDIA_TYPE)


def _http_problem(status: int, detail: str) -> JSONResponse:
    phrase = HTTPStatus(status).phrase
    body = {"type": "about:blank", "title": phrase, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


async def _on_problem(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Problem)
    return problem_response(error)


async def _on_http(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return _http_problem(error.status_code, str(error.detail))


async def _on_invalid(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # Name the fields and what is wrong with them, but never echo the values sent.
    errors = [{"loc": list(item["loc"]), "msg": item["msg"]} for item in error.errors()]
    detail = "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in errors)
    problem = Problem(422, "invalid_request", "Invalid request", detail or "the request is invalid")
    problem.extra["errors"] = errors
    return problem_response(problem)


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    log(logger, "http.error", logging.ERROR, path=request.url.path, error_type=type(error).__name__)
    return _http_problem(500, "an internal error occurred; it has been logged without your data")


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_invalid)
    app.add_exception_handler(Exception, _on_unexpected)


def not_found(what: str) -> Problem:
    return Problem(404, "not_found", "Not found", f"no {what} with this id (or it belongs to someone else)")
