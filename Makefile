# evalkit -- two commands do all the set-up:
#   make reports   builds the sample reports from data/sample into reports/
#   make test      runs the whole test suite
# Both create .venv from pyproject.toml when it is missing or older than pyproject.toml.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
YEAR   ?= 2024
JOBS   ?=

.PHONY: reports test lab sample venv bench clean help

help:
	@echo "make reports  - 生成示例报告 / build the sample reports into reports/"
	@echo "make test     - 运行全部测试 / run the test suite"
	@echo "make lab      - 打开 JupyterLab / open JupyterLab on notebooks/"
	@echo "make sample   - 重新生成示例数据 / regenerate data/sample"
	@echo "make bench    - 运行性能基准 / run the benchmarks in bench/"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,pdf]'
	touch $(STAMP)

venv: $(STAMP)

reports: $(STAMP)
	$(BIN)/evalkit reports data/sample --year $(YEAR) --out reports $(if $(JOBS),--jobs $(JOBS),)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

sample: $(STAMP)
	rm -rf data/sample.tmp
	$(BIN)/evalkit synth data/sample.tmp --scale demo --seed 20241 --format csv
	rm -rf data/sample && mv data/sample.tmp data/sample

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) reports/*/ .pytest_cache
