# vantage: multi-vantage DNS checker. See README.md.
#
#   make                 build libraries and the three programs into bin/
#   make check           install missing packages, build, run every test tier
#   make SANITIZE=1 ...  the same with AddressSanitizer and UBSan
#   make install         PREFIX (/usr/local) and DESTDIR honoured
#   make format          apply .clang-format to every C file
#   make demo            the demo (see README.md)

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
CC         ?= cc
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 15
BENCH_SECS ?= 10

PKGS      := libzmq libcares msgpack libsodium ldns sqlite3 inih jansson libpsl openssl
TEST_PKGS := cmocka

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -I. -DVANTAGE_VERSION='"$(VERSION)"' \
           $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lm

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
BUILD   := build-san
else
BUILD   := build
endif

BIN := bin
LIB := $(BUILD)/lib

COMMON_SRC := $(wildcard common/*.c)
PROTO_SRC  := $(wildcard proto/*.c)
AGENT_SRC  := $(filter-out agent/main.c,$(wildcard agent/*.c))
COORD_SRC  := $(filter-out coordinator/coord_main.c coordinator/ctl_main.c,$(wildcard coordinator/*.c))

objs = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIB_COMMON := $(LIB)/libvantage-common.a
LIB_PROTO  := $(LIB)/libvantage-proto.a
LIB_AGENT  := $(LIB)/libvantage-agent.a
LIB_COORD  := $(LIB)/libvantage-coord.a
# Link order: users before what they use.
ALL_LIBS   := $(LIB_AGENT) $(LIB_COORD) $(LIB_PROTO) $(LIB_COMMON)

PROGS := $(BIN)/vantage-agent $(BIN)/vantage-coord $(BIN)/vantagectl

.PHONY: all check unit cli-test lab-test bench fuzz fuzz-corpus install uninstall format format-check clean demo deps
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB_COMMON): $(call objs,$(COMMON_SRC))
$(LIB_PROTO):  $(call objs,$(PROTO_SRC))
$(LIB_AGENT):  $(call objs,$(AGENT_SRC))
$(LIB_COORD):  $(call objs,$(COORD_SRC))
$(LIB)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BIN)/vantage-agent: $(BUILD)/agent/main.o $(ALL_LIBS)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)
$(BIN)/vantage-coord: $(BUILD)/coordinator/coord_main.o $(ALL_LIBS)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)
$(BIN)/vantagectl: $(BUILD)/coordinator/ctl_main.o $(ALL_LIBS)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

# --- tests -----------------------------------------------------------------
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS))

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(TEST_LIBS) $(LDLIBS)

$(BUILD)/tests/bench_%: tests/bench/bench_%.c tests/bench/benchref.h $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

$(BUILD)/tests/evil: tests/link/evil.c $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

# Benchmarks print figures next to a reference measured in the same run.
bench: deps $(PROGS) $(BUILD)/tests/bench_engine $(BUILD)/tests/bench_ingest
	VANTAGE_BENCH_BIN=$(CURDIR)/$(BUILD)/tests/bench_engine ./tests/bench/run-engine.sh $(BENCH_SECS)
	VANTAGE_BIN=$(CURDIR)/$(BIN) VANTAGE_BENCH_BIN=$(CURDIR)/$(BUILD)/tests/bench_ingest \
	  ./tests/bench/run-ingest.sh $(BENCH_SECS)

deps:
	@./deploy/install-deps.sh

# The README's test command. Installs what it needs, then every tier.
check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) cli-test
	$(MAKE) lab-test
	$(MAKE) fuzz
	$(MAKE) format-check

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; VANTAGE_BIN=$(CURDIR)/$(BIN) $$t; done

cli-test: $(PROGS)
	@VANTAGE_BIN=$(CURDIR)/$(BIN) ./tests/cli/run.sh

# Against real NSD and unbound, each in a network namespace of its own.
lab-test: $(PROGS) $(BUILD)/tests/evil
	@./tests/lab/selftest.sh
	@./tests/smtp/selftest.sh
	@VANTAGE_BIN=$(CURDIR)/$(BIN) ./tests/smtp/run.sh
	@VANTAGE_BIN=$(CURDIR)/$(BIN) ./tests/smtp/regions.sh
	@VANTAGE_BIN=$(CURDIR)/$(BIN) ./tests/agent/run.sh
	@VANTAGE_BIN=$(CURDIR)/$(BIN) VANTAGE_EVIL=$(CURDIR)/$(BUILD)/tests/evil ./tests/link/run.sh
	@VANTAGE_BIN=$(CURDIR)/$(BIN) VANTAGE_EVIL=$(CURDIR)/$(BUILD)/tests/evil ./tests/link/curve.sh
	@VANTAGE_BIN=$(CURDIR)/$(BIN) ./tests/track/run.sh
	@VANTAGE_BIN=$(CURDIR)/$(BIN) ./tests/track/scenarios.sh
	@VANTAGE_BIN=$(CURDIR)/$(BIN) ./tests/demo/test.sh

# libFuzzer harnesses, built with clang, ASan and UBSan; a bounded run each
# (FUZZ_TIME seconds) from the seed corpus in tests/fuzz/corpus/NAME.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BUILD := build-fuzz
FUZZ_SRC   := $(COMMON_SRC) $(PROTO_SRC) agent/answer.c agent/smtp.c agent/findings.c
FUZZ_FLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -I. -DVANTAGE_VERSION='"$(VERSION)"' \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              $(shell pkg-config --cflags $(PKGS))
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRC) $(wildcard */*.h)
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRC) $(LDLIBS)

fuzz: $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_NAMES))
	@set -e; for n in $(FUZZ_NAMES); do \
	  echo "== fuzz $$n ($(FUZZ_TIME) s)"; \
	  rm -rf $(FUZZ_BUILD)/corpus-$$n; mkdir -p $(FUZZ_BUILD)/corpus-$$n; \
	  if ! $(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 \
	      -max_len=65536 -artifact_prefix=$(FUZZ_BUILD)/$$n- \
	      $(FUZZ_BUILD)/corpus-$$n tests/fuzz/corpus/$$n >$(FUZZ_BUILD)/$$n.log 2>&1; then \
	    tail -n 60 $(FUZZ_BUILD)/$$n.log; echo "fuzz $$n: FAILED (see $(FUZZ_BUILD)/$$n.log)"; exit 1; \
	  fi; \
	  grep -E '^Done|#[0-9]+.*DONE' $(FUZZ_BUILD)/$$n.log | tail -n 1; \
	done

# Regenerate the seed corpus (committed) from tests/unit/samples.h.
fuzz-corpus: $(ALL_LIBS)
	@mkdir -p $(BUILD)/tests tests/fuzz/corpus/envelope tests/fuzz/corpus/body
	$(CC) $(CFLAGS) $(LDFLAGS) -o $(BUILD)/tests/mkcorpus tests/fuzz/mkcorpus.c $(ALL_LIBS) $(LDLIBS)
	$(BUILD)/tests/mkcorpus tests/fuzz/corpus

# Regenerate fuzz_answer's seed corpus (committed): real answers captured
# through agent/dnsq from the agent tests' lab (needs root for the lab's
# network namespace). 1NN: auth ns1, 2NN: resolver r1, 3NN: ns3 (REFUSED,
# serves lab.test only), 4NN: the refusing resolver.
.PHONY: fuzz-capture
fuzz-capture: $(ALL_LIBS)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $(BUILD)/tests/capture tests/fuzz/capture.c $(ALL_LIBS) $(LDLIBS)
	@set -e; lab=$$(mktemp -d /tmp/vcap.XXXXXX); \
	tests/lab/lab.sh init $$lab; cp tests/agent/lab.conf $$lab/lab.conf; mkdir $$lab/out; \
	printf '%s\n' 'good.test MX nsid' 'good.test SOA nsid' 'good.test NS nsid' \
	  'good.test TXT' 'good.test A nsid' 'good.test CAA' 'good.test DNSKEY' \
	  'mx1.good.test A nsid' 'mx1.good.test AAAA' '_dmarc.good.test TXT' \
	  'www.good.test AAAA nsid' 'nosuch.good.test A nsid' 'nosuch.good.test MX' \
	  '10.2.0.192.in-addr.arpa PTR nsid' \
	  '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR' \
	  'big.test TXT nsid' 'mxcname.test MX' 'alias.mxcname.test A nsid' \
	  'nullmx.test MX' 'lab.test NS' 'ns1.lab.test AAAA' 'twospf.test TXT' \
	  'mxnx.test MX' 'not.served.example A nsid' >$$lab/auth.q; \
	printf '%s\n' 'good.test MX rd' 'good.test A rd' 'good.test SOA rd' 'good.test NS rd' \
	  'good.test TXT rd nsid' 'mx2.good.test A rd' 'mx2.good.test AAAA rd' \
	  'www.good.test AAAA rd' 'nosuch.good.test A rd' 'alias.mxcname.test A rd' \
	  'alias.mxcname.test AAAA rd' 'big.test TXT rd' '20.2.0.192.in-addr.arpa PTR rd' \
	  'nullmix.test MX rd' 'manyspf.test TXT rd' '_dmarc.baddmarc.test TXT rd' \
	  'not.served.example A rd' >$$lab/resolver.q; \
	printf '%s\n' 'good.test MX nsid' 'good.test SOA' >$$lab/ns3.q; \
	printf '%s\n' 'good.test A rd' >$$lab/refuse.q; \
	cap=$(CURDIR)/$(BUILD)/tests/capture; \
	tests/lab/lab.sh run $$lab -- sh -c "set -e; \
	  $$cap 127.0.10.1 $$lab/auth.q $$lab/out 101; \
	  $$cap 127.0.20.1 $$lab/resolver.q $$lab/out 201; \
	  $$cap 127.0.10.3 $$lab/ns3.q $$lab/out 301; \
	  $$cap 127.0.31.1 $$lab/refuse.q $$lab/out 401" >$$lab/capture.log 2>&1 || \
	  { cat $$lab/capture.log; echo "fuzz-capture: FAILED (lab in $$lab)"; exit 1; }; \
	mkdir -p tests/fuzz/corpus/answer; rm -f tests/fuzz/corpus/answer/*.bin; \
	cp $$lab/out/*.bin tests/fuzz/corpus/answer/; rm -rf $$lab; \
	echo "fuzz-capture: $$(ls tests/fuzz/corpus/answer/*.bin | wc -l) answers in tests/fuzz/corpus/answer"

# --- install ---------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(BIN)/vantagectl $(DESTDIR)$(PREFIX)/bin/vantagectl
	install -m 0755 $(BIN)/vantage-agent $(DESTDIR)$(PREFIX)/sbin/vantage-agent
	install -m 0755 $(BIN)/vantage-coord $(DESTDIR)$(PREFIX)/sbin/vantage-coord
	install -d $(DESTDIR)$(PREFIX)/share/doc/vantage
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/vantage/
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0644 docs/vantage-agent.8 docs/vantage-coord.8 docs/vantagectl.8 \
	        $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 docs/vantage.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vantagectl $(DESTDIR)$(PREFIX)/sbin/vantage-agent \
	      $(DESTDIR)$(PREFIX)/sbin/vantage-coord
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/vantage
	rm -f $(DESTDIR)$(PREFIX)/share/man/man8/vantage-agent.8 \
	      $(DESTDIR)$(PREFIX)/share/man/man8/vantage-coord.8 \
	      $(DESTDIR)$(PREFIX)/share/man/man8/vantagectl.8 \
	      $(DESTDIR)$(PREFIX)/share/man/man5/vantage.conf.5

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]')
format:
	clang-format -i $(C_FILES)
format-check:
	clang-format --dry-run --Werror $(C_FILES)

demo: deps
	$(MAKE) all
	@VANTAGE_BIN=$(CURDIR)/$(BIN) ./tests/demo/demo.sh

clean:
	rm -rf build build-san build-fuzz bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
