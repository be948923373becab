# lakegate developer entry points. `make demo` and `make test` are the README's two commands.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export CHECKPOINT_DISABLE := 1

.PHONY: setup demo test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	# --no-compile: CI installs into a fresh venv every run; byte-compiling every installed module
	# (moto, botocore, ...) took ~20 s, and only the modules the run imports need it (on import)
	$(BIN)/python -m pip install -q --no-compile -e '.[dev]'
	touch $@

# The main job end to end on the embedded local AWS: plan and gate the reference pipeline, then
# bring up the local AWS, apply terraform/ into it, run every runbook scenario, tear it down and
# write the sign-off reports (reports/signoff.html is the page to open). Exit 0 only on GO.
demo: setup
	# the plan JSON may hold sensitive values: it stays in the working area, never in reports/
	mkdir -p reports .lakegate/demo
	$(BIN)/lakegate plan terraform --out .lakegate/demo/plan.json
	$(BIN)/lakegate check .lakegate/demo/plan.json --tf-dir terraform --recovery-plan reports/recovery-plan.json
	$(BIN)/lakegate check .lakegate/demo/plan.json --tf-dir terraform --format json --out reports/gate.json
	$(BIN)/lakegate smoke --env local --report-dir reports --gate-result reports/gate.json

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache reports
