# cong — the two commands: `make run` and `make test`. Everything else is a step they use.
.PHONY: run test deps build build-test install bench bench-gateway bench-abuse bench-procedures bench-search bench-mandates bench-payments bench-queue bench-appointments bench-kpi bench-push-fanout bench-push-sse bench-proxy bench-webhooks fuzz clean stop

JOBS ?= $(shell nproc)

deps:
	@bash scripts/deps.sh
	@bash scripts/build-h2o.sh

# What the Release build is for: the gateway, its relays, the stand-ins, the token minter, the attack tool and the
# example partner module (`make run`, the benches). The tests run on build-test's ASan build, so the Release build
# leaves them out (about a third of its time).
PRODUCTS = cong cong-jwt-mint cong-portal-sync cong-push-relay cong-push-worker cong-push-fanout cong-webhook-worker \
	vneid-standin \
	portal-standin payment-standin fcm-standin apns-standin webhook-standin h2-attack partner_hello

build: deps
	@cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-release -j $(JOBS) --target $(PRODUCTS)

build-test: deps
	@cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DASAN=ON >/dev/null
	@cmake --build build-test -j $(JOBS)

run: build
	@bash scripts/run.sh

test: build-test build
	@bash scripts/test.sh

# The module SDK for partners: include/cong/*.h and cong-module.pc under PREFIX (default /usr/local; examples/).
install: build
	@cmake --install build-release $(if $(PREFIX),--prefix $(PREFIX))

bench: build
	@bash bench/run.sh
	@bash bench/h2_abuse.sh
	@if [ -f bench/identity.sh ]; then bash bench/identity.sh; fi
	@bash bench/procedures.sh
	@bash bench/search.sh
	@bash bench/mandates.sh
	@bash bench/audit.sh
	@bash bench/payments.sh
	@bash bench/queue.sh
	@bash bench/appointments.sh
	@bash bench/kpi.sh
	@bash bench/push_fanout.sh
	@bash bench/push_sse.sh
	@bash bench/proxy.sh

bench-gateway: build
	@bash bench/run.sh

bench-abuse: build
	@bash bench/h2_abuse.sh

bench-procedures: build
	@bash bench/procedures.sh

bench-search: build
	@bash bench/search.sh

bench-mandates: build
	@bash bench/mandates.sh
	@bash bench/audit.sh

bench-payments: build
	@bash bench/payments.sh

bench-queue: build
	@bash bench/queue.sh

bench-appointments: build
	@bash bench/appointments.sh

bench-kpi: build
	@bash bench/kpi.sh

bench-push-fanout: build
	@bash bench/push_fanout.sh

bench-push-sse: build
	@bash bench/push_sse.sh

bench-proxy: build
	@bash bench/proxy.sh

bench-webhooks: build
	@bash bench/webhooks.sh

fuzz: deps
	@bash scripts/fuzz.sh

stop:
	@bash scripts/services.sh stop .run/dev; bash scripts/services.sh stop .run/test

clean:
	rm -rf build build-release build-test build-fuzz
