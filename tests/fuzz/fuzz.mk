# SPDX-License-Identifier: GPL-2.0
# libFuzzer targets for every parser of untrusted input (tests/fuzz/<target>.c).
#   make fuzz        each target for FUZZ_TIME seconds (default 60), corpora kept in build/fuzz/
#   make fuzz-short  each target for FUZZ_SHORT_TIME seconds (default 6), for make test: the
#                    checked-in corpora replayed, then mutations from a fixed seed (FUZZ_SEED,
#                    default 1) so that a CI run does not turn red on a new random find; new
#                    finds are make fuzz's job, and each becomes a seed and a unit test
# Any crash, leak, sanitizer report or input slower than FUZZ_TIMEOUT seconds fails the run;
# the input is kept in build/fuzz/artifacts/.

FUZZ_CC		?= clang
FUZZ_TIME	?= 60
FUZZ_SHORT_TIME	?= 6
FUZZ_TIMEOUT	?= 2
FUZZ_SEED	?= 1
FUZZ_DIR	:= $(OUT)/fuzz
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRCS	:= $(wildcard tests/fuzz/*.c)
FUZZ_NAMES	:= $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
FUZZ_BINS	:= $(addprefix $(FUZZ_DIR)/bin/,$(FUZZ_NAMES))
FUZZ_LIB_OBJS	:= $(patsubst $(OUT)/user/%.o,$(FUZZ_DIR)/user/%.o,$(LIB_OBJS))
FUZZ_LIB	:= $(FUZZ_DIR)/librsample.a
# Binaries the elf target starts from (plus corrupted copies, tests/fuzz/seeds.py).
FUZZ_ELF_SEEDS	:= $(addprefix $(OUT)/fixtures/,victim_nofp victim_dbg victim_symtab victim_dynsym \
		   victim_noid victim_badlink .debug/victim_dbg.debug lines) \
		   $(addprefix $(OUT)/victims/,ledger-nofp ledger-dbg.debug symnames bigframe) \
		   $(FUZZ_DIR)/zdebug/ledger-nofp.zdebug

# Instrumented for coverage (fuzzer-no-link): the sanitizers and libFuzzer's main come at link.
$(FUZZ_DIR)/user/%.o: user/%.c $(SKELS) $(GEN_HDRS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_LIB)
	$(call msg,FUZZ-LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -Itests/unit -Itests/fuzz \
		-DRS_FIXTURES='"$(CURDIR)/tests/fixtures"' $< $(FUZZ_LIB) $(LIBS) -o $@

# Compressed debug sections: libelf inflates them for libdw.
$(FUZZ_DIR)/zdebug/ledger-nofp.zdebug: $(OUT)/victims/ledger-nofp
	$(call msg,OBJCOPY,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(OBJCOPY) --compress-debug-sections=zlib $< $@

$(FUZZ_DIR)/seeds/.stamp: tests/fuzz/seeds.py $(FUZZ_ELF_SEEDS)
	$(call msg,GEN,$(FUZZ_DIR)/seeds)
	$(Q)python3 tests/fuzz/seeds.py $(FUZZ_DIR)/seeds $(FUZZ_ELF_SEEDS)
	$(Q)touch $@

.PHONY: fuzz-build fuzz fuzz-short
fuzz-build: $(FUZZ_BINS) $(FUZZ_DIR)/seeds/.stamp

fuzz: fuzz-build
	$(Q)sh tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_TIME) $(FUZZ_TIMEOUT) $(FUZZ_NAMES)

fuzz-short: fuzz-build
	$(Q)FUZZ_SEED=$(FUZZ_SEED) sh tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SHORT_TIME) $(FUZZ_TIMEOUT) $(FUZZ_NAMES)

# make lint covers the targets too.
.PHONY: fuzz-lint
lint: fuzz-lint
fuzz-lint:
	$(Q)clang-format --dry-run --Werror $(FUZZ_SRCS) tests/fuzz/fuzz.h
