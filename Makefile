# lakegate developer entry points. `make demo` and `make test` are the README's two commands.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export CHECKPOINT_DISABLE := 1
# Let Python cache bytecode (__pycache__, gitignored) in the venv and the checkout. uv, unlike pip,
# does not byte-compile at install time, so with an inherited PYTHONDONTWRITEBYTECODE=1 every
# Python process the suite or a rehearsal starts (the CLI, local AWS servers, the scenarios' pytest,
# Glue job drivers) compiled boto3, botocore and moto from source again: measured 10 % of the CPU of
# the CLI and aws-CLI tests (bench/RESULTS.md, "Session 4"). Written lazily, only what is imported,
# instead of `uv --compile-bytecode` (44 CPU-s for the whole venv at setup).
export PYTHONDONTWRITEBYTECODE :=

.PHONY: setup demo test bench clean

setup: $(VENV)/.installed

# uv (docs/DESIGN.md, "Installer: uv"): pip bootstraps it, then it installs the project. First from
# uv's own cache without the network (--offline: seconds; the same requirements, resolved by the
# same resolver against the index pages and files uv cached when it last went online), and when
# the cache cannot satisfy pyproject.toml, online. UV_ONLINE=1 forces a fresh online resolution.
# Like pip with --no-compile, uv does not byte-compile what it installs (done on import).
UV_SPEC := uv>=0.13,<0.14
UV_INSTALL = $(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev]' 'pip>=24'

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install -q --disable-pip-version-check '$(UV_SPEC)'
	if [ -z "$(UV_ONLINE)" ] && $(UV_INSTALL) --offline 2>/dev/null; then \
	  echo "setup: installed from uv's cache (offline)"; \
	else $(UV_INSTALL); fi
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
