// SPDX-License-Identifier: GPL-2.0
/* Ownership of the profile model (profile.h). */
#include <stdlib.h>
#include "profile/profile.h"

void rs_profile_clear(struct rs_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_samples; i++) {
		struct rs_psample *s = &p->samples[i];

		rs_frames_free(s->frames, s->n_frames);
	}
	free(p->samples);
	for (size_t i = 0; i < p->n_mappings; i++) {
		free(p->mappings[i].file);
		free(p->mappings[i].build_id);
	}
	free(p->mappings);
	free(p->target);
	p->samples = NULL;
	p->mappings = NULL;
	p->target = NULL;
	p->n_samples = p->n_mappings = 0;
}
