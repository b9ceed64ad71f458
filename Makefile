# kanal: `make run` installs what is missing, builds, fills a demo database and
# serves it on http://127.0.0.1:8080; `make test` runs every test (unit, fuzz
# regression, end-to-end on SQLite and PostgreSQL, then all again under
# AddressSanitizer + UndefinedBehaviorSanitizer).

CC      ?= cc
BUILD   ?= build
PYTHON  ?= /usr/bin/python3
PKGS    := sqlite3 libmicrohttpd jansson libsodium libpq libpng libidn2 freexl libcurl icu-uc libxml-2.0
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

# Deferred (=) so that a first `make run` can install the packages before
# pkg-config is asked about them.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lstemmer -lvoikko -lqrencode -lm -lpthread

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
           -Wno-unused-parameter -Wformat=2 -Wimplicit-fallthrough
# WERROR=1 makes warnings errors; `make test` (CI) builds that way.
ifeq ($(WERROR),1)
  WARN += -Werror
endif
OPT     ?= -O2 -g
SAN     ?=
ifeq ($(SAN),1)
  OPT    := -O1 -g -fno-omit-frame-pointer
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
CFLAGS  += -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) $(SANFLAGS) -Isrc -I$(BUILD)/gen \
           $(PKG_CFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)

LIB_SRC  := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/web_assets.o $(BUILD)/gen/db_migrations.o \
            $(BUILD)/gen/version.o $(BUILD)/gen/lexicons.o $(BUILD)/gen/sentiment_models.o \
            $(BUILD)/gen/password_lists.o
WEB      := $(sort $(wildcard web/*.html web/*.css web/*.js web/*.svg web/*.ico))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run deps test warnings unit-bin unit e2e browser bench-analytics bench-listen asan fuzz fuzz-build bench bench-redirect bench-sentiment-instr bench-import bench-sync bench-publish bench-inbox bench-web format lint analyze clean sentiment-model
all: $(BUILD)/kanal

deps:
	@sh scripts/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@test -f kanal.db || ./$(BUILD)/kanal demo --db kanal.db
	./$(BUILD)/kanal serve --db kanal.db --listen 127.0.0.1:8080

$(BUILD)/kanal: $(BUILD)/src/cli/main.o $(BUILD)/libkanal.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/libkanal.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The web UI is compiled into the binary so that kanal is one file to deploy.
$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O1 -Wall -o $@ $<

# Rewritten only when the version changes, so a build does not relink for nothing.
$(BUILD)/gen/version.c: FORCE
	@mkdir -p $(dir $@)
	@echo 'const char kanal_version[] = "$(VERSION)";' > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
FORCE:

MIGRATIONS := $(sort $(wildcard src/db/migrations/*.sql))

# The desk's translations keep their folder in the URL (/i18n/sv.json).
I18N     := $(sort $(wildcard web/i18n/*.json))
# The desk's libraries come from npm (package.json) at build time and are
# served from /vendor/; nothing of them is checked in. Preact's hooks name
# their peer by its npm name, which a browser without a build step cannot
# resolve, so the copy names the served file instead.
VENDOR   := vendor/preact.js=node_modules/preact/dist/preact.module.js \
            vendor/hooks.js=$(BUILD)/gen/vendor/hooks.js \
            vendor/htm.js=node_modules/htm/dist/htm.module.js \
            vendor/fullcalendar.js=node_modules/fullcalendar/index.global.min.js \
            vendor/fullcalendar-sv.js=node_modules/@fullcalendar/core/locales/sv.global.min.js \
            vendor/fullcalendar-fi.js=node_modules/@fullcalendar/core/locales/fi.global.min.js \
            vendor/uplot.js=node_modules/uplot/dist/uPlot.esm.js \
            vendor/uplot.css=node_modules/uplot/dist/uPlot.min.css

$(BUILD)/gen/vendor/hooks.js: node_modules/.kanal-installed-lock
	@mkdir -p $(dir $@)
	sed 's|from"preact"|from"/vendor/preact.js"|g' node_modules/preact/hooks/dist/hooks.module.js > $@
	@grep -q 'from"/vendor/preact.js"' $@ || { echo "preact's hooks no longer import preact as expected" >&2; rm -f $@; exit 1; }

$(BUILD)/gen/web_assets.c: $(BUILD)/tools/embed $(WEB) $(I18N) $(BUILD)/gen/vendor/hooks.js \
                           node_modules/.kanal-installed-lock
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed $@ web_assets $(WEB) $(foreach f,$(I18N),i18n/$(notdir $(f))=$(f)) $(VENDOR)

$(BUILD)/gen/db_migrations.c: $(BUILD)/tools/embed $(MIGRATIONS)
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed $@ db_migrations $(MIGRATIONS)

# The learned sentiment model's weights (one file per language, written by
# `make sentiment-model`); the build works without them (the rules alone).
SENTIMENT_MODELS := $(sort $(wildcard data/sentiment/*.model))

# Rewritten only when the list of files changes, so a removed file rebuilds too.
$(BUILD)/gen/sentiment_models.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SENTIMENT_MODELS)' > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

$(BUILD)/gen/sentiment_models.c: $(BUILD)/tools/embed $(SENTIMENT_MODELS) \
                                 $(BUILD)/gen/sentiment_models.list
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed $@ sentiment_models $(SENTIMENT_MODELS)

# The deny-list of common passwords that model/user.c refuses.
PASSWORD_LISTS := $(sort $(wildcard data/passwords/*.txt))

$(BUILD)/gen/password_lists.c: $(BUILD)/tools/embed $(PASSWORD_LISTS)
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed $@ password_lists $(PASSWORD_LISTS)

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) -c -o $@ $<

# Sentiment lexicons are compiled in too: the team's data/lexicon/*.tsv and
# openly licensed npm lexicons (package.json), converted at build time.
LEXICONS := $(wildcard data/lexicon/*.tsv)
# The same stamp scripts/install-deps.sh keeps: npm ci only when the lock changed.
node_modules/.kanal-installed-lock: package.json package-lock.json
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	cp package-lock.json $@

$(BUILD)/gen/lexicons.c: scripts/gen-lexicons.mjs $(LEXICONS) node_modules/.kanal-installed-lock \
                         $(wildcard /usr/share/dictd/freedict-fin-eng.index)
	@mkdir -p $(dir $@)
	node scripts/gen-lexicons.mjs $@

$(BUILD)/gen/lexicons.o: $(BUILD)/gen/lexicons.c
	$(CC) $(CFLAGS) -c -o $@ $<

# Trains the sentiment model of each language on ../shared/data/sentiment's
# training sets (settings chosen by cross-validation; see docs/text-engine.md)
# and writes data/sentiment/LANG.model, which the next build compiles in.
$(BUILD)/tools/sentiment-train: tools/sentiment-train.c $(BUILD)/libkanal.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libkanal.a $(PKG_LIBS)

# Finnish is chosen by the recall of pos and neg lines alone: the data it is
# judged on has no neutral class (so is its neutral band, which then answers
# neutral on no line; `all` here keeps neutral answers, docs/text-engine.md). Swedish is not trained: its training set is
# forum paragraphs scored for stance on immigration, and a model of it read
# Swedish tweets far worse than the rules do (docs/text-engine.md).
SENTIMENT_DATA ?= ../shared/data/sentiment
SENTIMENT_LANGS ?= en fi
sentiment-model: $(BUILD)/tools/sentiment-train
	@mkdir -p data/sentiment
	for l in $(SENTIMENT_LANGS); do \
	    obj=all; [ $$l = fi ] && obj=polar; \
	    $(BUILD)/tools/sentiment-train --lang $$l --objective $$obj \
	        --out data/sentiment/$$l.model $(SENTIMENT_DATA)/$$l.train.tsv || exit 1; \
	done

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkanal.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< \
	    $(BUILD)/libkanal.a $(PKG_LIBS) $(shell pkg-config --libs cmocka)

unit-bin: $(UNIT_BIN)

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

# The binary and the unit tests with gcc and with clang, warnings as errors,
# each in a folder of its own so that the everyday build/ is not rebuilt:
# a warning either compiler finds fails CI instead of scrolling past. On
# every core: `make test` waits for these before its lanes start.
warnings:
	@$(MAKE) --no-print-directory -j$(shell nproc) BUILD=build/werror-gcc CC=gcc WERROR=1 all unit-bin
	@$(MAKE) --no-print-directory -j$(shell nproc) BUILD=build/werror-clang CC=clang WERROR=1 all unit-bin

# E2E_JOBS pytest workers (python3-pytest-xdist), each a whole test file at
# a time: most of a test's time is spent waiting on the servers it starts,
# so two workers a lane keep the cores busy. E2E_JOBS=0 runs them in turn.
E2E_JOBS ?= 2
e2e: $(BUILD)/kanal $(BUILD)/tools/sentiment-train
	KANAL_BIN=$(abspath $(BUILD)/kanal) $(PYTHON) -m pytest -q -rs -p no:cacheprovider \
	    $(if $(filter-out 0,$(E2E_JOBS)),-n $(E2E_JOBS) --dist loadfile) tests/e2e

# The web UI in headless Chromium (Debian's), driven by playwright-core (npm).
browser: $(BUILD)/kanal node_modules/.kanal-installed-lock
	KANAL_BIN=$(abspath $(BUILD)/kanal) node --test tests/browser/

# libFuzzer targets need clang; `make fuzz` runs each briefly on its corpus.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_RUNS ?= 20000
.PHONY: fuzz-lib
fuzz-lib:
	@$(MAKE) --no-print-directory BUILD=build/fuzz-lib CC=clang SAN=1 \
	    SANFLAGS='-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined' \
	    build/fuzz-lib/libkanal.a
# Relinked every time: the library may have changed under the target.
build/fuzz/%: tests/fuzz/%.c fuzz-lib
	@mkdir -p build/fuzz
	clang -std=c17 -D_GNU_SOURCE -g -O1 -Isrc $(PKG_CFLAGS) \
	    -fsanitize=address,undefined,fuzzer -fno-sanitize-recover=undefined \
	    -o $@ tests/fuzz/$*.c build/fuzz-lib/libkanal.a $(PKG_LIBS)
fuzz-build: $(FUZZ_BIN)
fuzz: fuzz-build
	@sh tests/run-fuzz.sh $(FUZZ_RUNS) $(FUZZ_BIN)

# Prints texts/s of `sentiment_score` and of the npm sentiment package on the
# same texts (the dev sets under ../shared/data/sentiment, repeated).
$(BUILD)/bench/%: bench/%.c $(BUILD)/libkanal.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libkanal.a $(PKG_LIBS)

# Documents/s of matching 1,000 and 10,000 listening queries together (the
# query set) over 100 MB of ../shared/data's texts, beside each query as a
# PCRE2 expression and hyperscan on the queries' literals, in the same run.
BENCH_LISTEN_MB ?= 100
$(BUILD)/bench/listen: bench/listen.c $(BUILD)/libkanal.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libhs libpcre2-8) $(LDFLAGS) -o $@ $< \
	    $(BUILD)/libkanal.a $(PKG_LIBS) $(shell pkg-config --libs libhs libpcre2-8)
bench-listen: $(BUILD)/bench/listen
	$(BUILD)/bench/listen ../shared/data $(BENCH_LISTEN_MB) $(BENCH_ROUNDS)

bench: $(BUILD)/bench/sentiment node_modules/.kanal-installed-lock
	$(BUILD)/bench/sentiment ../shared/data/sentiment/*.tsv

# Instructions a text of the same (callgrind, warm; needs valgrind): the
# figure to compare builds by on a busy machine. BENCH_PER texts of each
# training set, scored BENCH_PASSES times after a warm-up pass.
BENCH_PER ?= 2000
BENCH_PASSES ?= 2
bench-sentiment-instr: $(BUILD)/bench/sentiment-instr
	sh bench/sentiment-instr.sh $(BUILD)/bench/sentiment-instr $(BENCH_PER) $(BENCH_PASSES) \
	    ../shared/data/sentiment/en.train.tsv ../shared/data/sentiment/sv.train.tsv \
	    ../shared/data/sentiment/fi.train.tsv

# Dashboard endpoints on a large workspace (100k posts, 5M snapshots, 10M
# messages at BENCH_SCALE=1); prints each endpoint's time.
BENCH_SCALE ?= 1
bench-analytics: $(BUILD)/kanal
	$(PYTHON) bench/analytics.py --scale $(BENCH_SCALE) --kanal $(BUILD)/kanal

# Prints rows/s of `kanal import` beside sqlite3's .import of the same rows,
# and SQLite's own floor for storing them in kanal's schema.
BENCH_ROWS ?= 200000
BENCH_ROUNDS ?= 5
bench-import: $(BUILD)/kanal $(BUILD)/bench/import-floor
	KANAL_BIN=$(BUILD)/kanal FLOOR_BIN=$(BUILD)/bench/import-floor sh bench/import.sh $(BENCH_ROWS) $(BENCH_ROUNDS)

# The inbox at scale: BENCH_MESSAGES messages (10 million) and 200 routing
# rules; prints rules applied per second and the first page for a team
# filter beside SQLite's own time for its SQL. The database lives under
# /tmp and is deleted at the end.
BENCH_MESSAGES ?= 10000000
bench-inbox: $(BUILD)/bench/inbox
	$(BUILD)/bench/inbox --messages $(BENCH_MESSAGES) --rounds $(BENCH_ROUNDS)

# Every page of the desk in headless Chromium on the bench data (100,000
# posts, 10 million messages; built once into build/bench-web/kanal.db by
# bench/web-data.py and reused: delete it to build it again): each page's
# first render and a filter change, from the browser's performance marks.
bench-web: $(BUILD)/kanal node_modules/.kanal-installed-lock
	node bench/web.mjs --kanal $(BUILD)/kanal --db build/bench-web/kanal.db --rounds $(BENCH_ROUNDS)

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 unit e2e browser

# Two lanes side by side after the warning builds: the everyday build's
# suites and the fuzzers, and the same suites under the sanitizers (the
# longest). tests/run-lanes.sh keeps each lane's output together.
test: deps
	@$(MAKE) --no-print-directory warnings
	@sh tests/run-lanes.sh \
	    "plain: $(MAKE) --no-print-directory unit e2e browser fuzz" \
	    "asan: $(MAKE) --no-print-directory asan"
	@echo "make test: all suites passed"

# Items/s of `kanal sync` from the Mastodon fake (100 channels, 1,000
# statuses, 100,000 mentions) beside curl fetching the same answers and
# `kanal import` of them, in the same rounds.
bench-sync: $(BUILD)/kanal
	$(PYTHON) bench/sync.py --kanal $(BUILD)/kanal --rounds $(BENCH_ROUNDS)

# Posts/s and the due-to-received delay of `kanal serve` posting 10,000 due
# variants on 100 channels to the Mastodon fake, beside a plain keep-alive
# HTTP client posting as many to the same fake, in the same rounds.
BENCH_PUBLISH_VARIANTS ?= 10000
bench-publish: $(BUILD)/kanal
	$(PYTHON) bench/publish.py --kanal $(BUILD)/kanal --rounds $(BENCH_ROUNDS) --variants $(BENCH_PUBLISH_VARIANTS)

# Redirects/s and latency of /l/CODE beside nginx's `return 302`, with wrk:
# on kept-alive connections, then (BENCH_REDIRECT_CLOSE=1) a new connection
# for every redirect, as most clicks come.
bench-redirect: $(BUILD)/kanal
	@sh bench/redirect.sh 10 64 $(BENCH_ROUNDS) keepalive
	@if [ -n "$(BENCH_REDIRECT_CLOSE)" ]; then sh bench/redirect.sh 10 64 $(BENCH_ROUNDS) close; fi

format:
	clang-format -i $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/fuzz/*.c tools/*.c bench/*.c)

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --std=c11 \
	    --suppress=missingIncludeSystem --inline-suppr -Isrc -I$(BUILD)/gen \
	    --include=tools/cppcheck.h src

# The clang static analyzer over everything kanal is built from (Debian's
# clang-tools; about 15 minutes on two cores). Its reports go to
# build/analyze; it exits 1 when there are any.
analyze:
	scan-build --status-bugs -o $(BUILD)/analyze $(MAKE) --no-print-directory -j$(shell nproc) \
	    BUILD=$(BUILD)/analyze-obj $(BUILD)/analyze-obj/kanal

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
