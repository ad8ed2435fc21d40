# Two commands matter: `make run` and `make test`. Both set up everything they need (idempotent).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXTRAS ?= dev,preview,train
SYSTEM_TOOLS := mcs mono nunit-console oscdump oscsend
APT_PACKAGES := mono-mcs nunit-console libnunit-cil-dev liblo-tools

.PHONY: run test setup sysdeps lint pytest test-cs bench eval train sheet clean dist stress

run: setup
	$(VENV)/bin/facebridge run

test: setup sysdeps lint pytest test-cs

setup: $(STAMP)

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	@touch $(STAMP)

# Mono + NUnit (C# package tests) and liblo (independent OSC peer) from Debian.
sysdeps:
	@missing=0; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || missing=1; done; \
	if [ $$missing = 1 ]; then \
		echo "installing $(APT_PACKAGES)"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	fi

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

pytest: setup sysdeps
	$(PY) -m pytest -q

test-cs: sysdeps setup
	bash tests/csharp/run.sh

# Hostile-input stress suite (OSC fuzzing, broken files, bad camera streams, signals, disk full, a 10-minute soak):
# writes docs/reliability.md. Niced: the figures are ratios, and the machine may be shared. SOAK_S=60 for a short run.
SOAK_S ?= 600
stress: setup
	nice -n 10 $(PY) tests/stress/run.py --soak-s $(SOAK_S)

bench: setup
	$(VENV)/bin/facebridge bench --seconds 10

eval: setup
	$(VENV)/bin/facebridge eval --out reports/eval

train: setup
	$(VENV)/bin/facebridge train --out runs/train

sheet: setup
	$(VENV)/bin/facebridge synth sheet --out reports/contact_sheet.png

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache tests/csharp/build

# One-file download for streamers. Built in its own venv WITHOUT torch: onnxruntime's PyInstaller hook
# would otherwise drag torch (hundreds of MB) into the binary.
DIST_VENV := .venv-dist
dist:
	@test -x $(DIST_VENV)/bin/python || $(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/python -m pip install -q ".[dist]"  # not editable: PyInstaller cannot follow editable-install finders
	$(DIST_VENV)/bin/pyinstaller --noconfirm --clean --onefile --name facebridge \
		--collect-data bridge --collect-data presets --collect-submodules bridge --collect-submodules retarget \
		--exclude-module torch --exclude-module PySide6 --exclude-module pyqtgraph \
		packaging/facebridge_entry.py
	@echo "built dist/facebridge"
