# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both run the same idempotent setup first: a second run installs nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT    ?= out/demo

.PHONY: setup system-deps demo test lint data bench clean

setup: system-deps $(STAMP)

# FluidSynth's shared library (pyfluidsynth loads it) and its CLI, without the
# 250 MB of Qt that recommended packages would pull in. Skipped when present.
system-deps:
	@if ldconfig -p | grep -q 'libfluidsynth\.so\.3'; then :; else \
	  echo "installing libfluidsynth3 (apt)"; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    fluidsynth libfluidsynth3; \
	fi

# The venv is rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[cpu,dev]'
	touch $@

demo: setup
	$(BIN)/midistyle demo -o $(OUT)

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check midistyle tests benchmarks

data: setup
	$(BIN)/midistyle data build

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache
