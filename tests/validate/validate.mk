# SPDX-License-Identifier: GPL-2.0
# make validate-formats: the profile writers' output read by real, independent tools
# (tests/validate/run.sh). Included by the Makefile after user/out/proto.mk (SAN_LIB).
# Artifacts (screenshots, flamegraph.pl's SVGs) go to $(OUT)/artifacts/.

VALIDATE_DIR	:= $(OUT)/validate

$(VALIDATE_DIR):
	$(Q)mkdir -p $@

# Built with the sanitizers, like the unit tests: the writers run on real data here too.
$(VALIDATE_DIR)/gen_profiles: tests/validate/gen_profiles.c tests/unit/profile_data.h \
			      $(SAN_LIB) | $(VALIDATE_DIR)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $(ALL_LDFLAGS) $< $(SAN_LIB) $(LIBS) -o $@

.PHONY: validate-formats
validate-formats: $(VALIDATE_DIR)/gen_profiles
	$(Q)sh tests/validate/run.sh $< $(OUT)

-include $(VALIDATE_DIR)/gen_profiles.d
