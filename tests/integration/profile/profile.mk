# SPDX-License-Identifier: GPL-2.0
# 'rsample profile' integration suite: accuracy victims (C and Rust, no frame
# pointers) and tests/integration/profile/run.py. Included by the top Makefile;
# `make integration-profile ARGS='-k rust'` runs a subset (root needed).

PROF_VICTIM_DIR	:= $(OUT)/profile-victims
PROF_VICTIM_CC	?= $(CC)
PROF_VICTIM_CFLAGS := -O2 -g -pthread -fomit-frame-pointer -Wall -Wextra -Werror
PROF_RUSTC	?= $(RUSTC)
PROF_RUSTFLAGS	:= --edition 2021 -C opt-level=3 -C debuginfo=2 -C force-frame-pointers=no

PROF_VICTIMS	:= $(addprefix $(PROF_VICTIM_DIR)/,cpusplit offsplit busy spinall cpusplit-rs offsplit-rs)

.PHONY: profile-victims
profile-victims: $(PROF_VICTIMS)

$(PROF_VICTIM_DIR):
	$(Q)mkdir -p $@

$(PROF_VICTIM_DIR)/%: tests/integration/profile/victims/%.c | $(PROF_VICTIM_DIR)
	$(call msg,CC-VIC,$@)
	$(Q)$(PROF_VICTIM_CC) $(PROF_VICTIM_CFLAGS) $< -o $@

$(PROF_VICTIM_DIR)/%-rs: tests/integration/profile/victims/%.rs | $(PROF_VICTIM_DIR)
	$(call msg,RUSTC,$@)
	$(Q)command -v $(PROF_RUSTC) >/dev/null || { echo "profile-victims: '$(PROF_RUSTC)' not found: put rustc in PATH or set PROF_RUSTC=" >&2; exit 1; }
	$(Q)MAKEFLAGS= MFLAGS= $(PROF_RUSTC) $(PROF_RUSTFLAGS) --crate-name $*_rs $< -o $@

.PHONY: integration-profile
integration-profile: all profile-victims
	$(Q)RSAMPLE=$(CURDIR)/$(OUT)/rsample RS_PROFILE_VICTIMS=$(CURDIR)/$(PROF_VICTIM_DIR) \
		$(PYTHON) tests/integration/profile/run.py $(ARGS)
