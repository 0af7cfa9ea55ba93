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
	@# Two pytest processes: the unit tests beside the tests that run sandbox Asterisks and a
	@# browser (those share instances and ports, so they run one after another in one process
	@# and spend most of their time waiting on telephony timers). The unit tests' report is
	@# printed after the other one.
	@unit_log=$$(mktemp); \
	$(BIN)/python -m pytest tests/unit > $$unit_log 2>&1 & unit=$$!; \
	$(BIN)/python -m pytest tests/integration tests/e2e; sandbox=$$?; \
	wait $$unit; units=$$?; \
	echo "== tests/unit (ran beside the above) =="; cat $$unit_log; rm -f $$unit_log; \
	test $$sandbox -eq 0 && test $$units -eq 0

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
