# Everyday commands; each works on a fresh clone (it builds what it needs).
.PHONY: up down test lint bench venv cli

up:        ## start the emulator and `pulumi up` the quickstart stack
	bash scripts/demo.sh up

down:      ## `pulumi destroy` the quickstart stack and stop the emulator
	bash scripts/demo.sh down

test:      ## run every test (unit, emulator, gRPC engine, real-CLI end to end)
	bash scripts/test.sh

lint:      ## ruff and mypy --strict
	bash scripts/venv.sh
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy --strict

bench:     ## benchmarks against the local emulator (see docs/performance.md)
	bash scripts/venv.sh
	.venv/bin/python -m bench

venv:
	bash scripts/venv.sh

cli:       ## build or reuse the Pulumi CLI; prints the directory to put on PATH
	bash scripts/pulumi-cli.sh
