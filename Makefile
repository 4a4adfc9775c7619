# The two commands of the README: `make demo` and `make test`. Both install what is missing.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

FUZZ_SECONDS ?= 60
SANITIZE_BUILD ?= build-sanitize
FUZZ_BUILD ?= build-fuzz

# The playground page (web/): the library built by emscripten into $(WEB_BUILD)/site, and the
# browser test's Python venv (selenium from PyPI, driving Debian's chromium).
WEB_BUILD ?= $(BUILD)/web
WEB_VENV ?= $(WEB_BUILD)/venv
# Debian's emscripten 3.1.6 finds its acorn among Debian's node modules.
EMENV = NODE_PATH=/usr/share/nodejs

.PHONY: all deps build test demo clean goldens sanitize fuzz fuzz-seeds format format-check web web-venv \
        python test-python test-torch2 bench-python

# The Python package (pyproject.toml, python/) in a venv of Debian's Python, which sees Debian's
# torch 1.13 and NumPy (--system-site-packages); another python3 may come first on PATH.
SYSTEM_PYTHON ?= /usr/bin/python3
VENV ?= $(BUILD)/venv
VENV_TORCH2 ?= $(BUILD)/venv-torch2
PIP_BUILD = --no-build-isolation --no-deps --config-settings=build-dir=$(BUILD)/python/{wheel_tag}

all: build

deps:
	@scripts/setup.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build web web-venv python
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider python/tests

# pip installs the build tools once (small); the package rebuilds incrementally in $(BUILD)/python.
$(VENV)/.tools: | deps
	$(SYSTEM_PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install -q scikit-build-core nanobind pytest
	touch $@
python: $(VENV)/.tools
	$(VENV)/bin/pip install -q $(PIP_BUILD) .
test-python: python
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider python/tests

# The same tests against the current PyTorch 2.x from PyPI (a multi-GB download, so not in
# `make test`): its own venv, without Debian's packages.
$(VENV_TORCH2)/.tools: | deps
	$(SYSTEM_PYTHON) -m venv $(VENV_TORCH2)
	$(VENV_TORCH2)/bin/pip install -q torch numpy scikit-learn pytest scikit-build-core nanobind
	touch $@
test-torch2: $(VENV_TORCH2)/.tools
	$(VENV_TORCH2)/bin/pip install -q $(PIP_BUILD) .
	$(VENV_TORCH2)/bin/python -m pytest -q -p no:cacheprovider python/tests

# descent.torch against torch.optim side by side (BENCHMARKS.md, "From Python"): torch 1.13 in
# $(VENV), then torch 2.x with fused=True in $(VENV_TORCH2).
bench-python: python $(VENV_TORCH2)/.tools
	$(VENV_TORCH2)/bin/pip install -q $(PIP_BUILD) .
	OMP_NUM_THREADS=2 $(VENV)/bin/python bench/python/bench_torch.py
	OMP_NUM_THREADS=2 $(VENV_TORCH2)/bin/python bench/python/bench_torch.py

$(WEB_BUILD)/CMakeCache.txt: | deps
	$(EMENV) emcmake cmake -S web -B $(WEB_BUILD) -DCMAKE_BUILD_TYPE=Release

web: deps $(WEB_BUILD)/CMakeCache.txt
	$(EMENV) cmake --build $(WEB_BUILD) -j $(JOBS)
	@echo "the page: python3 -m http.server --bind 127.0.0.1 -d $(WEB_BUILD)/site 8000, then open http://127.0.0.1:8000/"

$(WEB_VENV)/done: tests/web/requirements.txt | deps
	/usr/bin/python3 -m venv --system-site-packages $(WEB_VENV)
	$(WEB_VENV)/bin/pip install -q -r tests/web/requirements.txt
	touch $@
web-venv: $(WEB_VENV)/done

# The tutorial's experiment: five optimizers on iris, the table, then the plots' paths.
demo: build
	$(BUILD)/descent explain adam --grads 0.5,-0.2,0.1,0.4,-0.3,0.2
	@echo
	$(BUILD)/descent compare --out $(BUILD)/demo
	@echo
	@echo "plots: $(BUILD)/demo/loss.png and $(BUILD)/demo/accuracy.png (also .svg); data: $(BUILD)/demo/metrics.csv, $(BUILD)/demo/summary.json"

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (GCC), in its own
# build directory; any report fails the run. Not `consumers`: it builds outside projects
# without the sanitizers against the instrumented library, and `make test` already runs it; nor
# the web tests (label web), which test the WebAssembly build; nor the docs test (label docs),
# which checks the pages: its commands are CLI runs the CLI tests make under the sanitizers
# already, and at -O1 with ASan the pages' digits run alone takes minutes.
sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
	  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  -DDESCENT_BUILD_BENCH=OFF
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -E '^consumers$$' -LE 'web|docs'

# Every libFuzzer target (fuzz/, Debian's clang) for FUZZ_SECONDS each.
fuzz:
	@scripts/setup.sh fuzz
	cmake -S fuzz -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++-14
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Regenerates fuzz/corpus/fuzz_checkpoint/ (after a change to the checkpoint format).
fuzz-seeds:
	cmake -S fuzz -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++-14
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target make_seeds
	$(FUZZ_BUILD)/make_seeds fuzz/corpus/fuzz_checkpoint

# Regenerates every golden file: runs every tests/**/generate*.py (PyTorch: Debian's
# python3-torch), so a new generator needs no line here; the registry walk's
# (tests/golden/registry/cases.json) reads the registry of the descent CLI it builds.
GOLDEN_GENERATORS = $(filter-out tests/golden/registry/generate.py,$(shell find tests -name 'generate*.py' | sort))
goldens: $(BUILD)/CMakeCache.txt
	@scripts/setup.sh torch
	cmake --build $(BUILD) -j $(JOBS) --target descent_cli
	/usr/bin/python3 tests/golden/registry/generate.py --descent $(BUILD)/descent
	@set -e; for g in $(GOLDEN_GENERATORS); do echo "/usr/bin/python3 $$g"; /usr/bin/python3 $$g; done

# Every C++ file of ours in clang-format's style (.clang-format); CI fails on any difference.
FORMAT_FILES = $(shell git ls-files '*.cpp' '*.hpp' '*.h')
format:
	@scripts/setup.sh format
	clang-format -i $(FORMAT_FILES)
format-check:
	@scripts/setup.sh format
	@clang-format --dry-run -Werror $(FORMAT_FILES) && echo 'format-check: $(words $(FORMAT_FILES)) files in clang-format style'

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FUZZ_BUILD)
