# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both run the same idempotent setup first: a second run installs nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT    ?= out/demo

.PHONY: setup system-deps test-deps demo test lint data bench clean

# An SF3 font's samples are decoded once into an SF2 under ~/.cache/midistyle, so that no render
# pays for it (midistyle/audio/decoded_soundfont.py); nothing is done when that is already there.
# midistyle's own modules are compiled to bytecode once (compileall skips what is up to date): an
# editable install has none, and where PYTHONDONTWRITEBYTECODE is set (CI images, this machine) every
# command would compile them again at each start (benchmarks coldstart).
setup: system-deps $(STAMP) $(VENV)/.numba-compiled
	@$(BIN)/midistyle soundfonts --decode
	@$(BIN)/python -m compileall -q midistyle

# FluidSynth's shared library (pyfluidsynth loads it) and its CLI, without the 250 MB of Qt that
# recommended packages would pull in, and MuseScore General (MIT, 40 MB SF3), the default SoundFont.
# Each is skipped when present. The font is optional: without it the embedded TimGM6mb is used.
system-deps:
	@if ldconfig -p | grep -q 'libfluidsynth\.so\.3'; then :; else \
	  echo "installing libfluidsynth3 (apt)"; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    fluidsynth libfluidsynth3; \
	fi
	@if ldconfig -p | grep -q 'libcairo\.so\.2'; then :; else \
	  echo "installing libcairo2 (apt; CairoSVG draws engraved PDF and PNG with it)"; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libcairo2; \
	fi
	@if ls /usr/share/sounds/sf3/MuseScore_General*.sf3 >/dev/null 2>&1; then :; else \
	  echo "installing musescore-general-soundfont-small (apt)"; \
	  { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	      --no-install-recommends musescore-general-soundfont-small; } \
	  || echo "could not install musescore-general-soundfont-small: the embedded TimGM6mb will be used"; \
	fi

# The venv is rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[cpu,dev,ray]'
	$(BIN)/pip install -q --no-deps basic-pitch==0.4.0  # only its ONNX model is used: see pyproject.toml
	touch $@

# librosa compiles its numba functions once into its __pycache__ when they are first called. Two
# processes compiling one at the same moment can leave a cache that crashes every later call with a
# segfault (numba/numba#10128; seen here when four transcriptions started together on a fresh
# install), as two batch workers or benchmarks could. So after each install the old cache files go
# and the transcriber's (librosa.estimate_tuning's) are compiled here, in one process.
$(VENV)/.numba-compiled: $(STAMP)
	find $(VENV)/lib/python*/site-packages/librosa -name '*.nb[ic]' -delete
	$(BIN)/python -c "import numpy, librosa; librosa.estimate_tuning(y=numpy.sin(numpy.arange(22050, dtype='float32') * 0.1), sr=22050)"
	touch $@

demo: setup
	$(BIN)/midistyle demo -o $(OUT)

# The studio's real-browser test drives Debian's Chromium (Playwright's own download cannot work
# offline). Only the tests need it, so only `make test` installs it. Skipped when present.
test-deps:
	@if command -v chromium >/dev/null 2>&1; then :; else \
	  echo "installing chromium (apt, for the studio's browser test)"; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; \
	fi

# Two pytest workers (pytest-xdist), one test file each at a time (`--dist loadfile`: a file's
# fixtures are built once, in one worker): the budget machine has 2 cores, most tests wait on a
# subprocess, a model load or TensorFlow's start, and each worker holds its own TensorFlow (about
# 1.5 GB), so more workers than cores would not pay.
test: setup test-deps
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: setup
	$(BIN)/ruff check midistyle tests benchmarks

data: setup
	$(BIN)/midistyle data build

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache
