# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Each creates .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/memosim run scenarios/default.toml --out results/demo

lint: $(STAMP)
	$(VENV)/bin/ruff check memosim tests benchmarks
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_codec.py

clean:
	rm -rf $(VENV) results .pytest_cache
