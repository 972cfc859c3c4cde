# podsim: on a fresh machine, `make run` runs the scenario suite (the main job) and `make test`
# runs the tests.
SWIFT ?= swift
PODS ?= 3
REPORTS ?= .build/reports

.PHONY: build release run prove validate test up bugs bench clean

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# The main job: every scenario in Scenarios/ on its own embedded cluster, with a JUnit report.
run: build
	mkdir -p $(REPORTS)
	$(SWIFT) run podsim run Scenarios/ --junit $(REPORTS)/scenarios.xml

# Each scenario must catch every bug it guards, and every bug must be guarded.
prove: build
	$(SWIFT) run podsim prove Scenarios/

validate: build
	$(SWIFT) run podsim validate Scenarios/

test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

up: build
	$(SWIFT) run podsim up --pods $(PODS)

bugs: build
	$(SWIFT) run podsim bugs

bench:
	mkdir -p $(REPORTS)
	$(SWIFT) build -c release
	$(SWIFT) run -c release podsim bench --json $(REPORTS)/bench.json

clean:
	rm -rf .build
