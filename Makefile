# The whole set-up is two commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run worker test test-fast serve lint translations update-translations bench load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# The compiled catalogue is built here, never committed.
translations: $(VENV)/.runtime
	$(BIN)/pybabel -q compile -d translations

update-translations: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

run: $(VENV)/.runtime translations
	OPS_AUTO_MIGRATE=0 $(BIN)/flask db upgrade
	OPS_AUTO_MIGRATE=0 $(BIN)/flask ops demo --if-empty
	@echo ""
	@echo "  打开 http://$(HOST):$(PORT)/  演示账号 admin / manager / sales / trainer / finance / client，密码 demo-2026"
	@echo ""
	@echo "  任务队列：网页与一个任务消费者（consumer）一同启动，Ctrl-C 同时停止两者；再开一个消费者：make worker"
	@echo ""
	$(BIN)/python -m ops.tasks.launcher --host $(HOST) --port $(PORT)

# One more queue consumer (on this machine or, with OPS_REDIS_URL, on any other): WORKERS threads.
worker: $(VENV)/.runtime translations
	$(BIN)/flask ops worker --workers $${WORKERS:-1}

serve: $(VENV)/.runtime translations
	$(BIN)/gunicorn --workers $${WORKERS:-4} --bind $(HOST):$(PORT) --access-logfile - app:app

test: $(VENV)/.dev translations
	$(BIN)/pytest $(PYTEST_ARGS)

# Everything but the browser journey and the tests marked slow (live gunicorn servers, backups under
# load, the whole demo): a couple of minutes instead of ten.
test-fast: $(VENV)/.dev translations
	$(BIN)/pytest -m "not slow and not e2e" $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(VENV)/.dev translations
	$(BIN)/python bench/run.py

load: $(VENV)/.dev translations
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
