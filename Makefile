# socketserver: `make` builds a loadable package in ./build; see README.md.

VERSION := $(shell sed -n 's/^\#define SOCKETSERVER_VERSION "\(.*\)"/\1/p' worker/version.h)
GO      ?= go
BUILD   ?= build
TCLSH   ?= tclsh

# Tcl's headers, stubs library and package path, the way Tcl extensions find them: from
# TCL_CONFIG, by default the tclConfig.sh of the Tcl that TCLSH runs.
# (Quiet here: make test and make demo install Tcl's development files first and then
# build in a new make; a build without a tclConfig.sh says why, below.)
TCL_CONFIG ?= $(shell scripts/tclconfig.sh $(TCLSH) 2>/dev/null)
TCL_CONFIG := $(TCL_CONFIG)
tclconfig = $(shell [ -n "$(TCL_CONFIG)" ] && . $(TCL_CONFIG) && echo $$$(1))
TCL_INCLUDE_SPEC  ?= $(or $(call tclconfig,TCL_INCLUDE_SPEC),$(shell pkg-config --cflags tcl 2>/dev/null))
TCL_STUB_LIB_SPEC ?= $(or $(call tclconfig,TCL_STUB_LIB_SPEC),-ltclstub8.6)
TCL_PACKAGE_PATH  ?= $(call tclconfig,TCL_PACKAGE_PATH)
TCL_MAJOR_VERSION ?= $(or $(call tclconfig,TCL_MAJOR_VERSION),8)

# TEA's names (TIP 595): Tcl 8's library is libsocketserver, Tcl 9's libtcl9socketserver, so
# both sit in one directory and pkgIndex.tcl loads the one for the Tcl that reads it.
LIBRARY8 := libsocketserver$(VERSION).so
LIBRARY9 := libtcl9socketserver$(VERSION).so
LIBRARY  := $(if $(filter 8,$(TCL_MAJOR_VERSION)),$(LIBRARY8),$(LIBRARY9))

# Tcl 9 for make test and make tcl9: TCLSH9, or the tclsh of TCL_CONFIG9, or the system's
# tclsh9.0, or the one make tcl9 set up in $(BUILD)/tcl9; none: make test runs Tcl 8.6 only.
TCL9_DIR := $(BUILD)/tcl9
ifdef TCL_CONFIG9
TCLSH9 ?= $(shell . $(TCL_CONFIG9) && echo $$TCL_EXEC_PREFIX/bin/tclsh$$TCL_VERSION)
endif
TCLSH9 ?= $(or $(shell command -v tclsh9.0),$(wildcard $(TCL9_DIR)/tclsh9))
TCLSH9 := $(TCLSH9)
TCL_CONFIG9 ?= $(if $(TCLSH9),$(shell scripts/tclconfig.sh $(TCLSH9)))
TCL_CONFIG9 := $(TCL_CONFIG9)

export CGO_ENABLED := 1
export CGO_CFLAGS  := $(TCL_INCLUDE_SPEC) -O2 -g
export CGO_LDFLAGS := $(TCL_STUB_LIB_SPEC)

# make install: DESTDIR for staging; PKGDIR under the first directory of Tcl's package path.
PREFIX ?= /usr/local
PKGDIR ?= $(or $(firstword $(TCL_PACKAGE_PATH)),$(PREFIX)/lib)/socketserver$(VERSION)
MANDIR ?= $(PREFIX)/share/man

# Everything the library is built from: every Go package of this module, and its C.
GO_SOURCES := go.mod go.sum $(shell find . -path ./bench -prune -o -path ./build -prune -o \
	\( -name '*.go' ! -name '*_test.go' -o -name '*.c' -o -name '*.h' \) -print)
TCL_FILES  := $(wildcard tcl/*.tcl)

.PHONY: all deps test checkfork gotest tcltest tcltest9 tcl9 soak demo bench bench-smoke bench-tools install uninstall clean

all: $(BUILD)/$(LIBRARY) $(BUILD)/pkgIndex.tcl $(TCL_FILES:tcl/%=$(BUILD)/%)

$(BUILD)/$(LIBRARY): $(GO_SOURCES)
	@[ -n "$(TCL_CONFIG)" ] || { scripts/tclconfig.sh $(TCLSH) >/dev/null; \
		echo "make: no tclConfig.sh for $(TCLSH): run scripts/deps.sh build, or set TCL_CONFIG" >&2; exit 1; }
	@mkdir -p $(BUILD)
	$(GO) build -buildmode=c-shared -o $@ ./ext
	@rm -f $(BUILD)/*.h

$(BUILD)/pkgIndex.tcl: pkgIndex.tcl.in worker/version.h
	@mkdir -p $(BUILD)
	sed -e 's/@VERSION@/$(VERSION)/g' -e 's/@LIBRARY8@/$(LIBRARY8)/g' -e 's/@LIBRARY9@/$(LIBRARY9)/g' $< > $@

$(BUILD)/%.tcl: tcl/%.tcl
	@mkdir -p $(BUILD)
	cp $< $@

deps:
	@scripts/deps.sh test

# After deps, a new make: what deps.sh installed (Tcl's development files) is found.
test: deps
	@$(MAKE) --no-print-directory all checkfork gotest tcltest $(if $(TCLSH9),tcltest9)

# The fork line (README.md, Architecture): worker/ holds all the C a forked worker may run,
# and none of it can enter Go. scripts/check-worker-c.sh compiles each of its files alone,
# with worker/worker.go's flags and the headers of each Tcl there is, and fails if one
# includes _cgo_export.h or uses a symbol that is not worker/'s own, the C library's or
# a Tcl stubs table.
WORKER_CFLAGS = $(shell sed -n 's/^\#cgo CFLAGS: //p' worker/worker.go)
checkfork:
	scripts/check-worker-c.sh worker $(WORKER_CFLAGS) $(TCL_INCLUDE_SPEC)
	$(if $(TCL_CONFIG9),scripts/check-worker-c.sh worker $(WORKER_CFLAGS) \
		$(shell . $(TCL_CONFIG9) && echo $$TCL_INCLUDE_SPEC))

gotest:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(GO) -C bench vet ./...
	$(GO) -C bench test -race -count=1 ./...

tcltest: all
	SOCKETSERVER_BUILD=$(abspath $(BUILD)) $(TCLSH) tests/all.tcl $(TESTFLAGS)

# The whole suite again under Tcl 9, with the Tcl 9 library built beside the Tcl 8.6 one.
tcltest9:
	@[ -n "$(TCLSH9)" ] || { echo "no Tcl 9: set TCLSH9 or TCL_CONFIG9, or run make tcl9" >&2; exit 1; }
	$(MAKE) --no-print-directory all TCLSH=$(TCLSH9) TCL_CONFIG=$(TCL_CONFIG9)
	SOCKETSERVER_BUILD=$(abspath $(BUILD)) $(TCLSH9) tests/all.tcl $(TESTFLAGS)

# make tcl9: a Tcl 9.0 in $(TCL9_DIR) when the system has none (scripts/tcl9.sh), and the
# Tcl 9 library built with it.
tcl9:
	@scripts/deps.sh tcl9
	@[ -n "$(TCLSH9)" ] && [ "$(TCLSH9)" != "$(TCL9_DIR)/tclsh9" ] || scripts/tcl9.sh $(TCL9_DIR)
	$(MAKE) --no-print-directory all TCLSH=$(or $(TCLSH9),$(TCL9_DIR)/tclsh9) \
		TCL_CONFIG=$(or $(TCL_CONFIG9),$(TCL9_DIR)/tclConfig.sh)

# The 100,000-connection soak (tests behind the "soak" constraint).
soak: deps all
	SOCKETSERVER_BUILD=$(abspath $(BUILD)) $(TCLSH) tests/all.tcl -constraints soak -file dispatch.test $(TESTFLAGS)

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	SOCKETSERVER_BUILD=$(abspath $(BUILD)) $(TCLSH) examples/demo.tcl

# make bench: the server comparison (bench/cmd/benchrun driving bench/cmd/sockbench and ab
# against the servers of bench/servers and bench/cmd/goecho; bench/ is a Go module of its
# own), about 7 minutes; replaces the results in BENCHMARKS.md. make bench-smoke: one short
# configuration of each kind of row, results in $(BUILD) only. ORIGINAL: package directory of the C original, socketservertcl 1.1, whose
# rows run interleaved with socketserver's ("" compares nothing); BENCH_VARIANTS: more
# `socket server` options for extra socketserver rows, ";"-separated ("" for none).
# BENCHFLAGS adds benchrun flags, e.g. BENCHFLAGS='-duration 3s -repeat 5'.
BENCH_BIN  = $(BUILD)/bin
BENCHFLAGS ?=
ORIGINAL   ?= $(wildcard ../shared/reference/socketservertcl-1.1.3)
BENCH_VARIANTS ?= -queue 16
BENCHRUN   = $(BENCH_BIN)/benchrun -build $(abspath $(BUILD)) -bin $(abspath $(BENCH_BIN)) \
	-servers bench/servers -tclsh $(TCLSH) $(if $(ORIGINAL),-original $(abspath $(ORIGINAL))) \
	-variants '$(BENCH_VARIANTS)'
BENCH_VARS = BUILD=$(BUILD) ORIGINAL=$(ORIGINAL) BENCH_VARIANTS='$(BENCH_VARIANTS)'

bench: all bench-tools
	$(BENCHRUN) -command "make bench $(BENCH_VARS)" -out BENCHMARKS.md $(BENCHFLAGS)

bench-smoke: all bench-tools
	$(BENCHRUN) -quick -command "make bench-smoke $(BENCH_VARS)" -out $(BUILD)/BENCHMARKS-smoke.md $(BENCHFLAGS)

bench-tools: all
	@scripts/deps.sh bench
	@mkdir -p $(BENCH_BIN)
	CGO_ENABLED=0 $(GO) -C bench build -o $(abspath $(BENCH_BIN))/sockbench ./cmd/sockbench
	CGO_ENABLED=0 $(GO) -C bench build -o $(abspath $(BENCH_BIN))/goecho ./cmd/goecho
	CGO_ENABLED=0 $(GO) -C bench build -o $(abspath $(BENCH_BIN))/benchrun ./cmd/benchrun

install: all
	install -d $(DESTDIR)$(PKGDIR) $(DESTDIR)$(MANDIR)/mann
	install -m 755 $(wildcard $(BUILD)/$(LIBRARY8) $(BUILD)/$(LIBRARY9)) $(DESTDIR)$(PKGDIR)/
	install -m 644 $(BUILD)/pkgIndex.tcl $(TCL_FILES:tcl/%=$(BUILD)/%) $(DESTDIR)$(PKGDIR)/
	install -m 644 doc/socketserver.n $(DESTDIR)$(MANDIR)/mann/

uninstall:
	rm -rf $(DESTDIR)$(PKGDIR) $(DESTDIR)$(MANDIR)/mann/socketserver.n

clean:
	rm -rf $(BUILD)
