# SPDX-License-Identifier: GPL-2.0
# make validate-formats: the profile writers' output read by real, independent tools
# (tests/validate/run.sh). Included by the Makefile after user/proto.mk (GEN_SAN_OBJS).
# Artifacts (screenshots, flamegraph.pl's SVGs) go to $(OUT)/artifacts/.

VALIDATE_DIR	:= $(OUT)/validate
VALIDATE_MODS	:= out_folded out_svg out_svg_script out_pprof out_pprof_map out_speedscope folded_parse stacks \
		   profile intern utf8 model
VALIDATE_OBJS	:= $(patsubst %,$(OUT)/san/user/%.o,$(VALIDATE_MODS)) $(GEN_SAN_OBJS)

$(VALIDATE_DIR):
	$(Q)mkdir -p $@

# Built with the sanitizers, like the unit tests: the writers run on real data here too.
$(VALIDATE_DIR)/gen_profiles: tests/validate/gen_profiles.c tests/unit/profile_data.h \
			      $(VALIDATE_OBJS) | $(VALIDATE_DIR)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $(ALL_LDFLAGS) $< $(VALIDATE_OBJS) $(LIBS) -o $@

.PHONY: validate-formats
validate-formats: $(VALIDATE_DIR)/gen_profiles
	$(Q)sh tests/validate/run.sh $< $(OUT)

-include $(VALIDATE_DIR)/gen_profiles.d
