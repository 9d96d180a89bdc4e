# Two commands do all set-up on a fresh machine:
#   make demo   - create .venv with carecircle installed (when missing or stale), run the demo
#   make test   - same bootstrap, then the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean fonts browser postgres office

# Debian packages the project needs: CJK fonts for chart labels, Chromium for browser tests,
# PostgreSQL + PostGIS for the database tests, LibreOffice Calc for the workbook test.
# Installed with apt-get when missing and running as root; otherwise a note says what to install.
APT_INSTALL = if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1)) >/dev/null; \
	else echo "note: please install the Debian packages: $(1)"; fi

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "carecircle needs Python >= 3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

fonts:
	@fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { $(call APT_INSTALL,fonts-noto-cjk); }

browser: fonts
	@command -v chromium >/dev/null 2>&1 || { $(call APT_INSTALL,chromium); }

# LibreOffice Calc (no GUI): the workbook test opens the XLSX lists with a second program
office:
	@command -v soffice >/dev/null 2>&1 || { $(call APT_INSTALL,libreoffice-calc-nogui); }

postgres:
	@ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || \
	  { $(call APT_INSTALL,postgresql postgis postgresql-15-postgis-3); }

demo: $(STAMP) fonts
	$(BIN)/carecircle demo --out out/demo --offline

# ruff, mypy (strictness in pyproject's [tool.mypy]), then the suite on every core (xdist)
test: $(STAMP) browser postgres office
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tests/mypy_tree.py
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tests/mypy_tree.py
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_routing.py
	$(BIN)/python benchmarks/bench_siting.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_osm.py
	$(BIN)/python benchmarks/bench_audit.py

clean:
	rm -rf $(VENV) out
