# Two commands matter: `make run` and `make test`. Both set up everything they need (idempotent).
# `make run` installs the runtime + the Qt preview only (no torch); `make test` and the training targets add the dev
# tools and torch (the `train` extra: the model-export parity and training tests need it).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
RUN_EXTRAS ?= preview
EXTRAS ?= dev,preview,train
SYSTEM_TOOLS := mcs mono nunit-console oscdump oscsend
APT_PACKAGES := mono-mcs nunit-console libnunit-cil-dev liblo-tools

.PHONY: run test setup setup-run sysdeps lint pytest test-cs bench eval train sheet clean dist stress

run: setup-run
	$(VENV)/bin/facebridge run

test: setup sysdeps lint pytest test-cs

# The runtime venv (what a streamer needs): numpy, onnxruntime, python-osc, OpenCV, PySide6 + pyqtgraph.
setup-run: $(RUN_STAMP)

# Everything: runtime, preview, dev tools (pytest, ruff) and torch for training.
setup: $(STAMP)

$(VENV)/bin/python:
	@echo "== creating $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip

# Reinstall only when the project's dependencies change. pip prints what it downloads and installs (no -q): a
# first install takes a minute or more and must not look stuck.
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "== installing FaceBridge with [$(RUN_EXTRAS)] into $(VENV) (no torch)"
	$(PY) -m pip install --progress-bar on -e ".[$(RUN_EXTRAS)]"
	@touch $@
	@echo "== $(VENV) ready: $$(du -sh $(VENV) | cut -f1)"

$(STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "== installing FaceBridge with [$(EXTRAS)] into $(VENV) (torch is the big one)"
	$(PY) -m pip install --progress-bar on -e ".[$(EXTRAS)]"
	@touch $@ $(RUN_STAMP)
	@echo "== $(VENV) ready: $$(du -sh $(VENV) | cut -f1)"

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

bench: setup-run
	$(VENV)/bin/facebridge bench --seconds 10

eval: setup
	$(VENV)/bin/facebridge eval --out reports/eval

train: setup
	$(VENV)/bin/facebridge train --out runs/train

sheet: setup-run
	$(VENV)/bin/facebridge synth sheet --out reports/contact_sheet.png

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache tests/csharp/build

# One-file download for streamers. Built in its own venv WITHOUT torch: onnxruntime's PyInstaller hook
# would otherwise drag torch (hundreds of MB) into the binary. cv2's data = the Haar cascades of the webcam layout.
# tests/test_dist_binary.py runs the result whenever dist/facebridge exists.
DIST_VENV := .venv-dist
dist:
	@test -x $(DIST_VENV)/bin/python || $(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/python -m pip install -q ".[dist]"  # not editable: PyInstaller cannot follow editable-install finders
	$(DIST_VENV)/bin/pyinstaller --noconfirm --clean --onefile --name facebridge \
		--collect-data bridge --collect-data presets --collect-submodules bridge --collect-submodules retarget \
		--collect-data cv2 \
		--exclude-module torch --exclude-module PySide6 --exclude-module pyqtgraph \
		packaging/facebridge_entry.py
	@echo "built dist/facebridge"
