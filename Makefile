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

.PHONY: install system-deps run test bench lint mutate clean

# Debian/Ubuntu packages the window, the off-screen renderer and the tests need (docs/platform.md says why).
DEB_PACKAGES := xvfb xauth libgl1-mesa-dri libglx-mesa0 libegl1 libosmesa6 libxkbcommon-x11-0 libxcb-cursor0 \
	libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 \
	libfontconfig1 libdbus-1-3 chromium chromium-driver firefox-esr

# Installs the missing ones with apt (as root, or through sudo); elsewhere one line names what to install.
system-deps:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
	  for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	  done; \
	else \
	  command -v Xvfb >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q libOSMesa || missing=" $(DEB_PACKAGES)"; \
	fi; \
	[ -z "$$missing" ] && exit 0; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "equiview: no apt-get here; install your system's equivalents of:$$missing" >&2; exit 2; \
	fi; \
	SUDO=""; \
	if [ "$$(id -u)" != 0 ]; then \
	  command -v sudo >/dev/null 2>&1 || { echo "equiview: run as root (or install sudo) to install:$$missing" >&2; exit 2; }; \
	  SUDO="sudo"; \
	fi; \
	echo "equiview: installing system packages:$$missing"; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

# No Xvfb here: without a display the viewer says how to get images (equiview render, --screenshot)
# and exits non-zero instead of opening a window nobody can see.
run: system-deps install
	$(VENV)/bin/equiview gui

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: system-deps lint
	$(XRUN) $(PY) -m pytest -q $(PYTEST_ARGS)

bench: install
	$(XRUN) $(PY) bench/run_all.py

# mutation testing of the engine, the verdict and the transforms ([tool.mutmut] in pyproject.toml); ends with
# "killed K of N mutants (P %)"
mutate: install
	$(PY) tests/mutation/mutate.py

clean:
	rm -rf $(VENV) .pytest_cache
