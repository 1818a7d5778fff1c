# casedraw: `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := casedraw-demo.db

.PHONY: demo test install clean chromium bench bench-year
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# A fresh national demo on an embedded SQLite file.
demo: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/casedraw demo --db sqlite:///$(DEMO_DB)

# Debian's chromium for the browser tests: Playwright drives /usr/bin/chromium, no browser download.
# Without it the browser tests are skipped, or fail with CI=true.
chromium:
	@command -v chromium >/dev/null 2>&1 || $(SUDO) apt-get install -y --no-install-recommends chromium >/dev/null \
	  || ($(SUDO) apt-get update >/dev/null && $(SUDO) apt-get install -y --no-install-recommends chromium >/dev/null) \
	  || echo "chromium could not be installed: the browser tests will be skipped (and fail with CI=true)"

# The whole suite; every storage test runs on SQLite and PostgreSQL, the pages also in chromium.
# casedraw is compiled once here: where PYTHONDONTWRITEBYTECODE is set (as on this project's machines)
# every `casedraw` process the suite starts would otherwise compile its sources again (0.2 s a start).
test: $(STAMP) chromium
	$(BIN)/python -m compileall -q src
	$(BIN)/pytest -n 2 --durations=10

# Scale benchmarks side by side (issue 9), written into docs/PERFORMANCE.md; a few minutes.
bench: $(STAMP)
	$(BIN)/python bench/scale.py --write docs/PERFORMANCE.md

# A national year: 5,000,000 documents with the procedures around the draw, then verify (issue 9); half an hour.
bench-year: $(STAMP)
	$(BIN)/python bench/national_year.py --write docs/PERFORMANCE.md

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm .pytest_cache .hypothesis
