# podsim: the two commands a new machine needs are `make run` (the main job) and `make test`.
SWIFT ?= swift
PODS ?= 3

.PHONY: build release run test up bugs clean

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# The main job: boot a cluster and run the headline cross-pod check against it.
run: build
	$(SWIFT) run podsim up --pods $(PODS)

test:
	$(SWIFT) test

up: build
	$(SWIFT) run podsim up --pods $(PODS)

bugs: build
	$(SWIFT) run podsim bugs

clean:
	rm -rf .build
