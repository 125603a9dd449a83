# Thin wrapper over CMake. `make run` and `make test` install what is missing first.
BUILD    ?= build
ASAN     ?= build-asan
FUZZ     ?= build-fuzz
JOBS     ?= $(shell nproc)
ARGS     ?=

.PHONY: all deps build run test test-asan bench fuzz format install clean

all: build

deps:
	@./deps/install.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Starts the demo: the Quảng Ngãi ceremony (the embedded demo, moved to now, 60× faster) with
# its 96 connection points played by the point simulator on 127.0.55.x (config/demo/run.sh), and the
# dashboard at http://127.0.0.1:8080/; three points watch over the video bridge (bridge_viewer,
# SRT), and two send their camera back (whip_sender, WHIP: «📷 gửi hình về» on their tiles,
# `cut point:<id>` shows one). The simulator, the viewers and the senders stop with the
# daemon. The operator token
# (for the buttons and ceremonyctl) is made once, at random, in $(BUILD)/operator-token, the
# points' heartbeat and bridge tokens at every start in $(BUILD)/demo/; none is ever printed.
# ARGS="--config FILE" runs that ceremony instead, without simulated points.
run: build
	@[ -s $(BUILD)/operator-token ] || (umask 077; head -c 18 /dev/urandom | base64 > $(BUILD)/operator-token)
	./config/demo/run.sh $(BUILD) $(BUILD)/demo --operator-token-file $(BUILD)/operator-token \
		--state-dir $(BUILD)/demo-state --fresh $(ARGS)

# Everything: unit, fuzz-corpus, format and integration tests, then the
# unit and fuzz tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Two at a time (the machine has two cores), but the tests that time the programme's frames
# to the points and to the ingest to a quarter of a second run alone afterwards.
SERIAL_TESTS := ^(Bridge|ProgrammeRtmp)
test: build
	ctest --test-dir $(BUILD) --output-on-failure --timeout 600 -j2 -E '$(SERIAL_TESTS)'
	ctest --test-dir $(BUILD) --output-on-failure --timeout 600 -R '$(SERIAL_TESTS)'
	@$(MAKE) --no-print-directory test-asan

test-asan: deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DCEREMONYD_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN) -j$(JOBS) --target sanitizer_tests
	ASAN_OPTIONS=detect_leaks=0 ctest --test-dir $(ASAN) --output-on-failure -L 'unit|fuzz'

bench: build
	./tests/bench/run.sh $(BUILD)

# Real coverage-guided fuzzing with libFuzzer (clang): make fuzz TARGET=fuzz_config
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ) -DCEREMONYD_LIBFUZZER=ON >/dev/null
	@cmake --build $(FUZZ) -j$(JOBS) --target fuzzers
	@echo "fuzzers built in $(FUZZ); e.g. $(FUZZ)/fuzz_config tests/fuzz/corpus/config"

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
