# Everyday commands; each works on a fresh clone (it builds what it needs).
.PHONY: up down test lint bench venv lock cli

up:        ## emulator, `pulumi up` of a self-recording meeting, someone joins: it records
	bash scripts/demo.sh up

down:      ## `pulumi destroy`, then stop the webhook receiver and the emulator
	bash scripts/demo.sh down

test:      ## every test against the newest Pulumi SDK, then the floor run against the oldest
	bash scripts/test.sh

lint:      ## ruff and mypy --strict
	bash scripts/venv.sh
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy --strict

bench:     ## benchmarks against the local emulator (see docs/performance.md)
	bash scripts/venv.sh
	.venv/bin/python -m bench

venv:      ## .venv from constraints/newest.txt (`bash scripts/venv.sh floor`: .venv-floor)
	bash scripts/venv.sh

lock:      ## re-resolve constraints/newest.txt and constraints/floor.txt from pyproject.toml
	bash scripts/lock.sh

cli:       ## build or reuse the Pulumi CLI; prints the directory to put on PATH
	bash scripts/pulumi-cli.sh
