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
	@echo "make lab      - 打开 JupyterLab / open JupyterLab on notebooks/ (LAB_PORT=8888)"
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

# JupyterLab refuses to run as root unless told; the flag is added only for root.
LAB_PORT ?= 8888
LAB_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

lab: $(STAMP)
	@echo "JupyterLab: http://127.0.0.1:$(LAB_PORT)/lab （在浏览器中打开；带令牌的完整地址见下方日志 / open it in a browser; the address with its token is in the log below; Ctrl-C 停止 to stop）"
	$(BIN)/jupyter lab notebooks/ --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) --ServerApp.port_retries=0 $(LAB_ROOT) $(LAB_ARGS)

sample: $(STAMP)
	rm -rf data/sample.tmp
	$(BIN)/evalkit synth data/sample.tmp --scale demo --seed 20241 --format csv
	rm -rf data/sample && mv data/sample.tmp data/sample

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) reports/*/ .pytest_cache
