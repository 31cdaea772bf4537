# The two commands a fresh machine needs (see README):
#   make demo   crawl the bundled fixture portal network, build the archive, serve Datasette
#   make test   lint, type-check and run the whole test suite
# Both first run `make setup`, which installs system packages (only those missing)
# and the Python environment in .venv (only when pyproject.toml changed).

VENV := .venv
BIN  := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint typecheck pytest bench

setup: $(STAMP)

$(STAMP): pyproject.toml .ci/setup
	bash .ci/setup
	touch $(STAMP)

demo: setup
	$(BIN)/xxgk demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy crawler archive parsers

pytest: setup
	$(BIN)/pytest

test: lint typecheck pytest

bench: setup
	$(BIN)/python benchmarks/parse.py
