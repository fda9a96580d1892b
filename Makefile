# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Each checks the interpreter (Python >= 3.11; choose one with PYTHON=python3.12)
# and creates .venv when it is missing, or rebuilds it when PYTHON names another
# interpreter than the one in it (tools/venv.sh).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# "explicit" when PYTHON came from the command line or the environment
EXPLICIT := $(if $(filter command line environment,$(origin PYTHON)),explicit)

.PHONY: venv hio demo test lint bench notebooks clean

venv:
	@sh tools/venv.sh '$(PYTHON)' '$(VENV)' '$(EXPLICIT)'

# hio 0.7.20 in .venv, for scenario peers with impl = "hio" (and their tests).
# hio declares Python >= 3.14 but runs on 3.11, hence --ignore-requires-python.
HIO := hio==0.7.20
hio: venv
	@$(PY) -c "import sys, hio; sys.exit(hio.__version__ != '0.7.20')" 2>/dev/null || { \
	  echo "installing $(HIO) into $(VENV) for impl = \"hio\" peers"; \
	  $(PY) -m pip install -q --ignore-requires-python $(HIO); }

# results/demo is the demo's own directory: running it again replaces the same run
# (memosim run accepts an --out that holds the same scenario, backend, seed and Doers).
DEMO_OUT ?= results/demo
demo: venv
	$(VENV)/bin/memosim run scenarios/default.toml --out $(DEMO_OUT)

lint: venv
	$(VENV)/bin/ruff check memosim tests benchmarks
	$(VENV)/bin/ruff format --check memosim tests benchmarks
	$(VENV)/bin/mypy

# tools/tshark.sh: the pcap test's tshark, installed when missing (as root).
test: lint hio
	@sh tools/tshark.sh
	$(PY) -m pytest -q

bench: venv
	$(PY) benchmarks/bench_codec.py

# JupyterLab on the notebooks (installs the notebooks extra on first use).
notebooks: venv
	@$(PY) -c "import jupyterlab" 2>/dev/null || $(PY) -m pip install -q -e '.[test,dask,notebooks]'
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) results .pytest_cache
