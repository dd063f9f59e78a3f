# Two commands on a fresh clone: `make demo` and `make test`. Each creates the
# virtual environment it needs, so nothing has to be installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_STORE := casefiles
# The demo runs on a fixed day so that its output is the same every time.
DEMO := ACCOMP_TODAY=2026-11-20 $(BIN)/accomp --store $(DEMO_STORE)

.PHONY: demo test lint install clean bench gates command-help system-tools

# `make bench` (N=10000 by default); `make bench N=2000`; `make bench RECORD=1` writes bench/results.md.
# A department's store: `make bench N=50000 WARM_ONLY=1 RECORD=1` (the warm commands and edits,
# after one cold summary that fills the cache; about 5 minutes and 1.1 GB of disk).
N ?= 10000
RUNS ?= 3

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q accomp  # as a wheel install does: a faster start
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: $(STAMP)
	@echo "== accomp list                (the cases of the demo store)"
	@$(DEMO) list
	@echo
	@echo "== accomp validate --all      (schema and domain rules)"
	@$(DEMO) validate --all
	@echo
	@echo "== accomp show 2026-DEM01 --format table"
	@$(DEMO) show 2026-DEM01 --format table
	@echo
	@echo "== accomp hours check --week 2026-W46   (the weekly hours rule: met, short, exempt)"
	@$(DEMO) hours check --week 2026-W46
	@echo
	@echo "== accomp contact due                   (the counsellors' worklist)"
	@$(DEMO) contact due
	@echo
	@echo "== accomp rdv list --from 2026-11-16 --to 2026-11-29   (the agenda: appointments, day by day)"
	@$(DEMO) rdv list --from 2026-11-16 --to 2026-11-29
	@echo
	@echo "== accomp session list                   (collective sessions: places, registered, present)"
	@$(DEMO) session list
	@echo
	@echo "== accomp session show 2026-11-18-1      (who attended: case ids; their hours are in their cases)"
	@$(DEMO) session show 2026-11-18-1
	@echo
	@echo "== accomp phase list 2026-DEM03          (outreach before a contract, then follow-up in employment, with consent)"
	@$(DEMO) phase list 2026-DEM03
	@echo
	@echo "== accomp caseload                       (each referent's active cases against the limit)"
	@$(DEMO) caseload
	@echo
	@echo "== accomp summary                        (the coordinator's figures for funders)"
	@$(DEMO) summary
	@echo
	@echo "== accomp report --year 2026 --out report.html   (for a steering committee: open it in a browser)"
	@$(DEMO) report --year 2026 --out report.html

test: $(STAMP) system-tools
	$(BIN)/ruff check accomp tests bench
	$(BIN)/python -m pytest -q

# Debian programs some tests drive, installed when missing (as root, with apt): Chromium
# and pdftotext (the report opened in a real headless browser, its PDF read back),
# git-crypt and gpg (a store encrypted at rest). Without them those tests say why they skip.
SYSTEM_TOOLS = chromium:chromium pdftotext:poppler-utils git-crypt:git-crypt gpg:gnupg
system-tools:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing (for the tests that drive them)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
	      || echo "could not install$$missing: the tests that need them will be skipped"; \
	  else \
	    echo "missing$$missing and not root: the tests that need them will be skipped"; \
	  fi; \
	fi

bench: $(STAMP)
	$(BIN)/python -m bench.run --n $(N) --runs $(RUNS) $(if $(WARM_ONLY),--warm-only) $(if $(RECORD),--record)

# Regenerate the compiled schema validators after changing a schema (a test says when).
gates: $(STAMP)
	$(BIN)/python -m accomp.store.schema

# The root help's list of commands (accomp/cli/command_help.py), after a command's help changed.
command-help: $(STAMP)
	$(BIN)/python -m accomp.cli.command_help_build

lint: $(STAMP)
	$(BIN)/ruff check accomp tests
	$(BIN)/ruff format --check accomp tests

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
