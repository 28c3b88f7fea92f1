# hoctap: one entry point. `make` lists the targets.
SHELL := /bin/bash
PY_SYS ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
YEAR ?= $(shell date +%Y)
N ?= 2000
# WeasyPrint needs Pango (and HarfBuzz subsetting for small PDFs); the tests read PDFs with poppler
# and open the template (and the documents) in a real client, LibreOffice without its GUI.
DEB_PACKAGES := fonts-liberation2 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
  libreoffice-calc-nogui libreoffice-writer-nogui
export MPLBACKEND := Agg

.DEFAULT_GOAL := help
.PHONY: help setup report test test-fast lab lint format bench clean-build fuzz

help: ## liệt kê các lệnh (list the targets)
	@echo "hoctap: các lệnh make"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup: $(STAMP) ## tạo môi trường .venv, cài thư viện, phông chữ, poppler, kernel Jupyter

$(STAMP): pyproject.toml Makefile
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Cài gói hệ thống (Debian):$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	[ -x $(PY) ] || $(PY_SYS) -m venv $(VENV)
	@echo "Đang cài thư viện Python vào .venv (lần đầu mất 1-2 phút)..."
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name hoctap --display-name "Python (hoctap)" >/dev/null
	touch $(STAMP)

report: setup ## tạo dữ liệu mẫu nếu chưa có, lập những báo cáo cần lập lại (sample if missing, stale reports)
	$(BIN)/hoctap demo --if-missing
	$(BIN)/hoctap run --all

test: setup ## chạy toàn bộ kiểm thử (whole test suite)
	$(BIN)/python -m pytest -n 2 -q

test-fast: setup ## chỉ chạy các kiểm thử đơn vị nhanh (không papermill, PDF, LibreOffice)
	$(BIN)/python -m pytest -n 2 -q -m "not slow" tests/unit

bench: setup ## đo tốc độ: làm sạch N tệp (N=2000) và một năm toàn quốc 45.000 tệp so với openpyxl, lập lại bộ dữ liệu mẫu
	$(BIN)/python -m hoctap.sample.bench --n $(N)

fuzz: setup ## kiểm thử đối kháng: tệp biến thể, tệp hỏng qua hoctap clean/check (tối đa 2 phút)
	$(BIN)/python -m tests.adversarial.run --budget 100 --workdir /tmp/hoctap-fuzz

format: setup ## định dạng mã bằng ruff (format code)
	$(BIN)/ruff format lib tests
	$(BIN)/ruff check --fix lib tests

lab: setup ## mở JupyterLab với các notebook
	$(BIN)/jupyter lab notebooks/

lint: setup ## kiểm tra mã (ruff) và notebook không còn kết quả chạy
	$(BIN)/ruff check lib tests
	$(BIN)/ruff format --check lib tests
	$(BIN)/python -m hoctap.nbhygiene notebooks
