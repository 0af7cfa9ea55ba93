# The two commands of README.md: `make run` (the product) and `make test` (the suite).
# Both install what they need first: Debian packages, a virtualenv with the Python dependencies,
# and (on first use, cached under ~/.cache/centralino) the Asterisk root filesystem.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := debootstrap sip-tester espeak-ng chromium ffmpeg
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test docs setup system-packages lint

run: setup
	$(BIN)/centralino run --sandbox

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/mkdocs build --strict --site-dir site
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The reference in docs/, built into site/ (nothing is served); a warning or a broken link fails.
docs: setup
	$(BIN)/mkdocs build --strict --site-dir site

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

setup: system-packages $(VENV)/.installed

system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@
