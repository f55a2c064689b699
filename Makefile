# The two commands of the README: `make local` (run the product) and `make test`.
# Both create the python3.13 virtual environment on first use and refresh it
# whenever a requirements file changes.
PYTHON ?= $(shell PYENV_VERSION=3.13.0 pyenv which python3.13 2>/dev/null || command -v python3.13)
VENV   := .venv
STAMP  := $(VENV)/.installed
REQS   := requirements-dev.txt $(wildcard shared/requirements.txt functions/*/requirements.txt)

SAM_VENV  := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
SAM       := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(SAM_VENV)/bin/sam

.PHONY: test local bench check-template lint build image clean

$(STAMP): $(REQS)
	@test -n "$(PYTHON)" || { echo "python3.13 not found: install it (pyenv install 3.13.0) or pass PYTHON=/path/to/python3.13"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

$(SAM_STAMP): requirements-sam.txt
	@test -n "$(PYTHON)" || { echo "python3.13 not found"; exit 1; }
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	@touch $(SAM_STAMP)

# Headless Chromium for the frontend test installs (apt, when missing) while the checks run.
test: $(STAMP)
	@mkdir -p .artifacts
	@bash scripts/install-chromium.sh > .artifacts/install-chromium.log 2>&1 &
	$(MAKE) --no-print-directory check-template lint
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile

# Lint, format and types (settings in pyproject.toml): any finding fails the build
# (`.venv/bin/ruff format .` applies the formatting).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Offline template checks: any finding fails the build.
check-template: $(SAM_STAMP)
	$(SAM_VENV)/bin/cfn-lint template.yaml
	# SAM's transform on each AuthMode, as CloudFormation runs it (LanguageExtensions first resolves
	# the Fn::If on AuthMode, which `sam validate` alone cannot: it rejects an Auth that is an Fn::If)
	for mode in key signin none; do $(SAM_VENV)/bin/python scripts/translate_template.py --auth-mode $$mode > /dev/null || exit 1; done
	$(SAM) validate --lint --region us-east-1

# The deployable artefacts (needs the package index); see docs/deploy.md.
build: $(SAM_STAMP)
	PATH="$(dir $(PYTHON)):$$PATH" $(SAM) build

# The container tier's worker image (needs Docker, which CI and this machine do not have; see
# docs/deploy.md for pushing it to ECR and passing ContainerImageUri).
IMAGE ?= algocloud-worker:latest
image:
	docker build --platform linux/arm64 -t $(IMAGE) .

local: $(STAMP)
	$(VENV)/bin/python -m devstack $(ARGS)

bench: $(STAMP)
	$(VENV)/bin/python bench/domain_bench.py

clean:
	rm -rf $(VENV) $(SAM_VENV) .pytest_cache .aws-sam
