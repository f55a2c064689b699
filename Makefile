# The two commands of the README: `make local` (run the product) and `make test`.
# Both create the python3.13 virtual environment on first use and refresh it
# whenever a requirements file changes.
PYTHON ?= $(shell PYENV_VERSION=3.13.0 pyenv which python3.13 2>/dev/null || command -v python3.13)
VENV   := .venv
STAMP  := $(VENV)/.installed
REQS   := requirements-dev.txt $(wildcard shared/requirements.txt functions/*/requirements.txt)

.PHONY: test local bench clean

$(STAMP): $(REQS)
	@test -n "$(PYTHON)" || { echo "python3.13 not found: install it (pyenv install 3.13.0) or pass PYTHON=/path/to/python3.13"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

test: $(STAMP)
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python bench/domain_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
