# Two commands on a fresh machine: `make run` and `make test`. Everything else is a building block.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# The stamp records that the environment matches pyproject.toml and constraints.txt: a second
# `make test` does not reinstall.
STAMP  := $(VENV)/.installed

# Run under Xvfb when no display is present (CI, ssh sessions).
ifeq ($(strip $(DISPLAY)),)
XRUN := xvfb-run -a -s "-screen 0 1920x1200x24"
else
XRUN :=
endif

.PHONY: install run test bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

# No Xvfb here: without a display the viewer says how to get images (equiview render, --screenshot)
# and exits non-zero instead of opening a window nobody can see.
run: install
	$(VENV)/bin/equiview gui

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: lint
	$(XRUN) $(PY) -m pytest -q $(PYTEST_ARGS)

bench: install
	$(XRUN) $(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
