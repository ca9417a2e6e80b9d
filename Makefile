# The two commands a newcomer needs: `make run` and `make test`. Everything else builds on them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export QT_QPA_PLATFORM ?= $(if $(DISPLAY)$(WAYLAND_DISPLAY),,offscreen)

.PHONY: run test lint typecheck imports pytest bench screenshots package package-test system-deps clean

# Debian libraries Qt needs on a bare machine (EGL, GL, xkbcommon, fontconfig, a font). No-op when present.
$(VENV)/.system-deps: packaging/system-deps.sh
	bash packaging/system-deps.sh
	@mkdir -p $(VENV) && touch $@

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed-run: pyproject.toml $(VENV)/.created $(VENV)/.system-deps
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.created $(VENV)/.system-deps
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed-run

system-deps: $(VENV)/.system-deps

## make run: open the main window on the embedded local sandbox (no AWS account needed)
run: $(VENV)/.installed-run
	$(BIN)/batchgui $(ARGS)

## make test: lint, types, layer contracts, then every test (benchmarks excluded)
test: lint typecheck imports pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check batchgui tests packaging
	$(BIN)/ruff format --check batchgui tests packaging

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

imports: $(VENV)/.installed-test
	$(BIN)/lint-imports

pytest: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests --ignore=tests/benchmarks -q $(PYTEST_ARGS)

## make bench: measure every figure in ../shared/BENCHMARKS.md into tests/benchmarks/results.json
bench: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/benchmarks -q -s -p no:randomly $(PYTEST_ARGS)
	$(BIN)/python -m tests.benchmarks.results --print

## make screenshots: one PNG per panel into screenshots/
screenshots: $(VENV)/.installed-run
	@mkdir -p screenshots
	for p in compute-environments job-queues job-definitions scheduling-policies jobs monitor; do \
	  $(BIN)/batchgui --screenshot screenshots/$$p.png --panel $$p --after 4 || exit 1; done

## make package: the desktop app folder dist/batchgui (PyInstaller onedir) with icons and menu entry
package: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[package]'
	PYTHON=$(BIN)/python bash packaging/build.sh

## make package-test: build, then check the app folder, its sandbox jobs, install.sh and the wheel
package-test: package
	$(BIN)/python -m pytest packaging/tests -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build dist packaging/build packaging/dist .mypy_cache .ruff_cache .pytest_cache
