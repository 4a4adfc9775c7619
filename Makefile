# The two commands of the README: `make demo` and `make test`. Both install what is missing.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps build test demo clean goldens

all: build

deps:
	@scripts/setup.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The tutorial's experiment: five optimizers on iris, the table, then the plots' paths.
demo: build
	$(BUILD)/descent explain adam --grads 0.5,-0.2,0.1,0.4,-0.3,0.2
	@echo
	$(BUILD)/descent compare --out $(BUILD)/demo
	@echo
	@echo "plots: $(BUILD)/demo/loss.png and $(BUILD)/demo/accuracy.png (also .svg); data: $(BUILD)/demo/metrics.csv, $(BUILD)/demo/summary.json"

# Regenerates tests/golden/*.json and tests/golden/lab/*.json (PyTorch: Debian's python3-torch).
goldens:
	@scripts/setup.sh torch
	/usr/bin/python3 tests/golden/generate.py
	/usr/bin/python3 tests/golden/lab/generate_step.py
	/usr/bin/python3 tests/golden/lab/generate_rng.py

clean:
	rm -rf $(BUILD)
