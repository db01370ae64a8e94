# Thin wrappers over the real tools; `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv from PATH, else bootstrapped from PyPI into .tools by the machine's python3, with pip
# and without venv (devstack/uv_bootstrap.py); uv never downloads a Python.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= python3
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen
# helm from PATH, else fetched into .tools (charts/fetch-helm).
HELM := $(or $(shell command -v helm 2>/dev/null),$(CURDIR)/.tools/bin/helm)
export HELM

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(CURDIR)/.tools/bin/uv:
	@python3 libs/devstack/src/devstack/uv_bootstrap.py .tools

$(CURDIR)/.tools/bin/helm:
	sh charts/fetch-helm

.PHONY: install
install: $(UV) ## Install the workspace into .venv from uv.lock
	$(UV) sync --frozen --quiet

.PHONY: run
run: install ## Start the whole system locally; the gateway is on 127.0.0.1:8080
	$(RUN) python -m devstack run

.PHONY: test
test: lint $(HELM) ## Lint, then run every suite against real servers (what CI runs)
	$(RUN) pytest

.PHONY: lint
lint: install ## ruff: lint and check formatting; mypy: type-check every package and every test suite
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy


.PHONY: fmt
fmt: install ## ruff: fix what can be fixed, then format
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

.PHONY: dashboards
dashboards: install ## Regenerate observability/dashboards/*.json from their code (observability/src/grafana_dashboards)
	$(RUN) python -m grafana_dashboards

.PHONY: openapi
openapi: install ## Regenerate gateway/openapi.json, the gateway's API document, from the services' code
	$(RUN) python -m apidocs.api_document

.PHONY: client
client: openapi ## Regenerate gateway/openapi.json, then clients/python from it (openapi-python-client)
	$(RUN) python -m apidocs.python_client

.PHONY: seed
seed: install ## Add N users (default 100000) to DATABASE_URL: make seed N=100000
	$(RUN) python -m users_service.seed --count $(or $(N),100000)

.PHONY: seed-bench
seed-bench: install ## Bench data (100k users, 200k items, 100k tasks) on Postgres and MariaDB
	$(RUN) python -m loadtest.bench --seed-only

.PHONY: bench
bench: install ## sync vs async x Postgres vs MySQL x concurrency (BENCH_ARGS="--upstream-latency 0,20,100" adds the fault axis); report in reports/<time>/
	$(RUN) python -m loadtest.bench $(BENCH_ARGS)

.PHONY: bench-ceiling
bench-ceiling: install ## Each app alone on one core, wrk on the other: ratios to the baselines; report in reports/ceiling-<time>/
	$(RUN) python -m loadtest.ceiling $(BENCH_ARGS)

.PHONY: docs-report
docs-report: install ## Put a run's tables and plots into docs/load-tests.md: make docs-report REPORT=reports/<time>
	@test -n "$(REPORT)" || { echo "REPORT=reports/<time> names the run: a folder make bench or make bench-ceiling wrote" >&2; exit 1; }
	$(RUN) python -m loadtest.docs_report $(REPORT)

.PHONY: docs
docs: install ## Build the documentation site into site/ (mkdocs, strict: a broken link or a page left out fails)
	NO_MKDOCS_2_WARNING=1 $(RUN) mkdocs build --strict --site-dir site

.PHONY: loadtest-ui
loadtest-ui: install ## Locust's web UI on 127.0.0.1:8089 (LOCUST_WEB_PORT) against the gateway, UsersRead ticked, fault panel at /faults (make run first)
	$(RUN) locust -f loadtest/src/loadtest/locustfile.py --class-picker \
		--web-host 127.0.0.1 --web-port $(or $(LOCUST_WEB_PORT),8089) \
		--host $(or $(GATEWAY),http://127.0.0.1:8080) \
		--metrics-port $(or $(LOCUST_METRICS_PORT),9646) \
		--fault-redis $(or $(REDIS_URL),redis://127.0.0.1:6379/0)

.PHONY: chart-test
chart-test: install $(HELM) ## The chart and skaffold.yaml: lint, schemas, Kubernetes 1.30/1.35, contracts, checkov, podman smoke and reinstall runs
	$(RUN) pytest charts k8s libs/clusterkit/tests containers/tests/test_chart_smoke.py containers/tests/test_chart_reinstall.py

IMAGE_TAG ?= dev
.PHONY: images
images: install ## Build the six images pyservices/<part>:$(IMAGE_TAG) with podman (or docker)
	IMAGE_TAG=$(IMAGE_TAG) $(RUN) python -m clusterkit.images

# The cluster loop (docs/kubernetes.md): each target checks its tools first.
# $(call need,tool,where to get it)
need = command -v $(1) >/dev/null || { echo "$(1) not found: install it from $(2)" >&2; exit 1; }
KIND_HINT := https://kind.sigs.k8s.io/docs/user/quick-start/\#installation
KUBECTL_HINT := https://kubernetes.io/docs/tasks/tools/
SKAFFOLD_HINT := https://skaffold.dev/docs/install/
DOCKER_HINT := https://docs.docker.com/engine/install/ (skaffold builds with it)
# skaffold finds helm on PATH; the fetched one in .tools/bin if that is the one there is.
SKAFFOLD := PATH="$(dir $(HELM)):$$PATH" skaffold
# The oldest skaffold that reads skaffold.yaml and works with helm 4.1.4 (k8s/require-skaffold).
SKAFFOLD_MIN_VERSION := 2.19.0
# PROFILE=mysql,minimal applies both (each profile adds a value file).
PROFILE_FLAG = $(if $(PROFILE),--profile $(PROFILE))
# Where `make dev` and `make deploy` deploy: this context, never whichever is current.
KUBE_CONTEXT ?= kind-pyservices
# $(call cluster_checks): the tools, skaffold's release and the context, each one line.
define cluster_checks
@$(call need,skaffold,$(SKAFFOLD_HINT))
@$(call need,kubectl,$(KUBECTL_HINT))
@$(call need,docker,$(DOCKER_HINT))
@sh k8s/require-skaffold $(SKAFFOLD_MIN_VERSION)
@kubectl config get-contexts $(KUBE_CONTEXT) >/dev/null 2>&1 || { echo "kube context $(KUBE_CONTEXT) not found: make kind-up, or KUBE_CONTEXT=<a context kubectl config get-contexts lists>" >&2; exit 1; }
@echo "deploying to kube context $(KUBE_CONTEXT) (KUBE_CONTEXT=<context> for another)"
endef

.PHONY: kind-up
kind-up: ## Create the kind cluster of k8s/kind-config.yaml (context kind-pyservices)
	@$(call need,kind,$(KIND_HINT))
	@$(call need,kubectl,$(KUBECTL_HINT))
	kind get clusters 2>/dev/null | grep -qx pyservices || kind create cluster --config k8s/kind-config.yaml
	kubectl --context kind-pyservices apply -f k8s/namespace.yaml

.PHONY: kind-down
kind-down: ## Delete the kind cluster
	@$(call need,kind,$(KIND_HINT))
	kind delete cluster --name pyservices

.PHONY: dev
dev: $(HELM) ## skaffold dev on KUBE_CONTEXT (default kind-pyservices): build, deploy, sync code, forward ports (PROFILE=mysql,minimal ...)
	$(call cluster_checks)
	kubectl --context $(KUBE_CONTEXT) apply -f k8s/namespace.yaml
	$(SKAFFOLD) dev --kube-context $(KUBE_CONTEXT) $(PROFILE_FLAG) $(SKAFFOLD_ARGS)

.PHONY: deploy
deploy: $(HELM) ## skaffold run: build and deploy once to KUBE_CONTEXT (default kind-pyservices; PROFILE=...)
	$(call cluster_checks)
	kubectl --context $(KUBE_CONTEXT) apply -f k8s/namespace.yaml
	$(SKAFFOLD) run --kube-context $(KUBE_CONTEXT) $(PROFILE_FLAG) $(SKAFFOLD_ARGS)

.PHONY: cluster-smoke
cluster-smoke: install ## After a deploy: wait for every Deployment, then a headless Locust run through the gateway
	$(RUN) python -m clusterkit.cluster_smoke $(SMOKE_ARGS)

.PHONY: clean
clean: ## Remove local data (.data: throwaway databases, dev keys), caches and the built site
	@# Root's Postgres data moves out of a private folder (devstack.servers); .data links it.
	if [ -L .data/postgres ]; then rm -rf "$$(readlink .data/postgres)"; fi
	@# Likewise the gateway's API docs (devstack.gateway.api_docs_dir), left by a killed run.
	if [ -L .data/gateway/api-docs ]; then rm -rf "$$(readlink .data/gateway/api-docs)"; fi
	rm -rf .data .pytest_cache .ruff_cache site
