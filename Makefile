# The two commands: `make run` and `make test`. Both create .venv and install pinned dependencies.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_SET ?= ../shared/data/tcga-dev/reports.jsonl
PATIENT ?= lung

.PHONY: run test lint eval plot bench examples clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/oncoguide analyze examples/$(PATIENT)/*.pdf --out out/$(PATIENT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/oncoguide lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/oncoguide lint

eval: $(STAMP)
	$(BIN)/oncoguide eval $(DEV_SET) --predictions out/eval/predictions.jsonl --errors out/eval/errors.jsonl

plot: $(STAMP)  # docs/eval-by-project.png, the README's per-project figure
	mkdir -p out/eval
	$(BIN)/oncoguide eval $(DEV_SET) --json > out/eval/scores.json
	$(BIN)/python scripts/plot_eval.py out/eval/scores.json docs/eval-by-project.png

bench: $(STAMP)
	$(BIN)/python -m bench.pipeline_bench
	$(BIN)/python -m bench.service_bench

# The service on this machine with the embedded defaults (SQLite, a filesystem broker, files and key in
# var/oncoguide): the API on http://127.0.0.1:8000 (docs at /docs) and one worker with the sweeper.
serve: $(STAMP)
	$(BIN)/python -m oncoguide.storage.migrate
	$(BIN)/celery -A workers.app worker -Q patient,bulk --concurrency 1 --beat --schedule var/oncoguide/beat & \
	  worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
	  $(BIN)/uvicorn --factory api.app:create_app --host 127.0.0.1 --port 8000

examples: $(STAMP)
	$(BIN)/python -m examples.build

clean:
	rm -rf out bench/corpus .pytest_cache .ruff_cache
