# The two commands of qkv: `make demo` and `make test`. Each installs what is
# missing (Debian packages, needs root), configures, builds and runs.

BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

APT_PACKAGES := g++ cmake make pkg-config ccache libopenblas-dev libopenblas0-openmp \
  nlohmann-json3-dev libstb-dev libcli11-dev libgtest-dev libgmock-dev \
  libbenchmark-dev libcairo2-dev fonts-dejavu-core zlib1g-dev

.PHONY: all deps configure build test demo bench format clean

all: build

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "qkv: installing missing packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	./$(BUILD)/qkv demo --out out/demo

bench: build
	/usr/bin/python3 bench/compare_pytorch.py --build $(BUILD)

format:
	find src tests bench examples -name '*.h' -o -name '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
