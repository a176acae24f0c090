# SPDX-License-Identifier: GPL-2.0
# Fixture programs for the tests that unwind real victims (included by the Makefile).
# Built without sanitizers: they are the targets being unwound, not test code.
#
#   victim_nofp    -O2 -fomit-frame-pointer -g     DWARF CFI only
#   victim_fp      -O2 -fno-omit-frame-pointer -g  frame-pointer chain too
#   victim_nopie   -O2 -g -no-pie: ET_EXEC at its link address (load bias 0)
#   victim_nocfi   frame pointers, no .eh_frame, no debug info: libdw must step by rbp
#   victim_dbg     victim_nofp stripped, DWARF in .debug/victim_dbg.debug via .gnu_debuglink
#   victim_symtab  victim_nofp without debug info, .symtab kept, no debuglink
#   victim_dynsym  victim_nofp stripped to .dynsym (built with -rdynamic)
#   victim_noid    no build-id: its .debug/victim_noid.debug is found by debuglink CRC
#   victim_badlink stripped, its debuglink names a .debug file of another build (rejected)
#   victim_badcrc  victim_noid whose .debug file was changed after linking (CRC rejects it)
#   victim_cxx     victim.c built as C++ (g++): namespaces, an inlined extern "C" function
#   rsvictim       Rust, -C opt-level=2 -C debuginfo=2 (only when rustc is found)
#   rsvictim_lt    the same with -C debuginfo=line-tables-only: bare DWARF names
#   lines          lines.s: a hand-made line table (rows sharing an address, as
#                  code inlined from a header leaves them), no .debug_aranges
#   lines5         the same with a DWARF 5 line table
#   names_cxx      names.cc, g++ -O0 -g: C++ functions gdb names in special ways

FIX_DIR		:= $(OUT)/fixtures
FIX_SRC		:= tests/fixtures/unwind
FIX_FLAGS	:= -Wall -Wextra -Werror -O2 -pthread -rdynamic -Iinclude -I$(FIX_SRC)
FIX_CFLAGS	:= -std=gnu11 $(FIX_FLAGS)
OBJCOPY		?= objcopy
ifeq ($(origin RUSTC),undefined)
RUSTC		:= $(shell command -v rustc 2>/dev/null)
endif

FIX_BINS	:= $(addprefix $(FIX_DIR)/,victim_nofp victim_fp victim_nopie victim_nocfi victim_dbg \
		   victim_symtab victim_dynsym victim_noid victim_badlink victim_badcrc victim_cxx \
		   lines lines5 names_cxx)
ifneq ($(RUSTC),)
FIX_BINS	+= $(FIX_DIR)/rsvictim $(FIX_DIR)/rsvictim_lt
endif

UNIT_DEPS	+= $(FIX_BINS)

# Order-only: the tests run the fixtures, they do not link them.
$(OUT)/tests/stack/test_unwind $(OUT)/tests/stack/test_symbolize $(OUT)/tests/stack/test_tailcall \
	$(OUT)/tests/snapshot/test_assemble $(OUT)/tests/stack/test_unwind_sppc $(OUT)/tests/capture/test_procfs: | $(FIX_BINS)

$(FIX_DIR) $(FIX_DIR)/.debug:
	$(Q)mkdir -p $@

$(FIX_DIR)/victim_nofp: $(FIX_SRC)/victim.c $(FIX_SRC)/sample.h include/rsample.h | $(FIX_DIR)
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) $(FIX_CFLAGS) -g -fomit-frame-pointer $< -o $@

$(FIX_DIR)/victim_fp: $(FIX_SRC)/victim.c $(FIX_SRC)/sample.h include/rsample.h | $(FIX_DIR)
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) $(FIX_CFLAGS) -g -fno-omit-frame-pointer $< -o $@

$(FIX_DIR)/victim_nopie: $(FIX_SRC)/victim.c $(FIX_SRC)/sample.h include/rsample.h | $(FIX_DIR)
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) $(FIX_CFLAGS) -g -fno-pie -no-pie $< -o $@

$(FIX_DIR)/victim_nocfi: $(FIX_SRC)/victim.c $(FIX_SRC)/sample.h include/rsample.h | $(FIX_DIR)
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) $(FIX_CFLAGS) -g0 -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
		-fno-unwind-tables $< -o $@

$(FIX_DIR)/.debug/victim_dbg.debug: $(FIX_DIR)/victim_nofp | $(FIX_DIR)/.debug
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --only-keep-debug $< $@

$(FIX_DIR)/victim_dbg: $(FIX_DIR)/victim_nofp $(FIX_DIR)/.debug/victim_dbg.debug
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --strip-all --add-gnu-debuglink=$(word 2,$^) $< $@

$(FIX_DIR)/victim_symtab: $(FIX_DIR)/victim_nofp
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --strip-debug $< $@

$(FIX_DIR)/victim_dynsym: $(FIX_DIR)/victim_nofp
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --strip-all $< $@

$(FIX_DIR)/victim_cxx: $(FIX_SRC)/victim.c $(FIX_SRC)/sample.h include/rsample.h | $(FIX_DIR)
	$(call msg,CXX-FIX,$@)
	$(Q)$(CXX) -x c++ -std=gnu++20 $(FIX_FLAGS) -g $< -o $@

$(FIX_DIR)/victim_noid: $(FIX_SRC)/victim.c $(FIX_SRC)/sample.h include/rsample.h | $(FIX_DIR)/.debug
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) $(FIX_CFLAGS) -g -Wl,--build-id=none $< -o $@.full
	$(Q)$(OBJCOPY) --only-keep-debug $@.full $(FIX_DIR)/.debug/victim_noid.debug
	$(Q)$(OBJCOPY) --strip-all --add-gnu-debuglink=$(FIX_DIR)/.debug/victim_noid.debug $@.full $@
	$(Q)rm -f $@.full

# The link's CRC is computed against victim_nofp's debug file, then that file is
# replaced by victim_fp's: a lookup must reject it (build-id and CRC differ).
$(FIX_DIR)/victim_badlink: $(FIX_DIR)/victim_nofp $(FIX_DIR)/victim_fp | $(FIX_DIR)/.debug
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --only-keep-debug $< $(FIX_DIR)/.debug/victim_badlink.debug
	$(Q)$(OBJCOPY) --strip-all --add-gnu-debuglink=$(FIX_DIR)/.debug/victim_badlink.debug $< $@
	$(Q)$(OBJCOPY) --only-keep-debug $(word 2,$^) $(FIX_DIR)/.debug/victim_badlink.debug

$(FIX_DIR)/victim_badcrc: $(FIX_DIR)/victim_noid
	$(call msg,OBJCOPY,$@)
	$(Q)cp $(FIX_DIR)/.debug/victim_noid.debug $(FIX_DIR)/.debug/victim_badcrc.debug
	$(Q)$(OBJCOPY) --remove-section=.gnu_debuglink \
		--add-gnu-debuglink=$(FIX_DIR)/.debug/victim_badcrc.debug $< $@
	$(Q)printf 'x' >> $(FIX_DIR)/.debug/victim_badcrc.debug

$(FIX_DIR)/lines: $(FIX_SRC)/lines.s | $(FIX_DIR)
	$(call msg,AS-FIX,$@)
	$(Q)$(CC) -no-pie $< -o $@

$(FIX_DIR)/lines5: $(FIX_SRC)/lines.s | $(FIX_DIR)
	$(call msg,AS-FIX,$@)
	$(Q)$(CC) -no-pie -Wa,--gdwarf-5 $< -o $@

$(FIX_DIR)/names_cxx: $(FIX_SRC)/names.cc | $(FIX_DIR)
	$(call msg,CXX-FIX,$@)
	$(Q)$(CXX) -O0 -g $< -o $@

$(FIX_DIR)/rsvictim: $(FIX_SRC)/rsvictim.rs | $(FIX_DIR)
	$(call msg,RUSTC,$@)
	$(Q)MAKEFLAGS= MFLAGS= $(RUSTC) --edition 2021 -C opt-level=2 -C debuginfo=2 -o $@ $<

$(FIX_DIR)/rsvictim_lt: $(FIX_SRC)/rsvictim.rs | $(FIX_DIR)
	$(call msg,RUSTC,$@)
	$(Q)MAKEFLAGS= MFLAGS= $(RUSTC) --edition 2021 -C opt-level=2 -C debuginfo=line-tables-only -o $@ $<
