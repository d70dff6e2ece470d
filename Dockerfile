# One image for the API and the workers: `docker compose up` runs both from it.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 oncoguide
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY oncoguide ./oncoguide
COPY extractors ./extractors
COPY knowledge ./knowledge
COPY api ./api
COPY workers ./workers
COPY migrations ./migrations
RUN pip install --no-cache-dir -c constraints.txt -e . \
    && mkdir -p /var/lib/oncoguide && chown oncoguide /var/lib/oncoguide

USER oncoguide
ENV ONCOGUIDE_STORAGE_DIR=/var/lib/oncoguide \
    OMP_THREAD_LIMIT=1 \
    PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["uvicorn", "--factory", "api.app:create_app", "--host", "0.0.0.0", "--port", "8000"]
