// SPDX-License-Identifier: GPL-2.0
/*
 * The per-thread /proc files the /proc backend reads (capture/procparse.c):
 * syscall, stack (one line each), status, stat, sched and namespace links.
 * The first byte picks the parser; the rest is the file.
 */
#include "fuzz.h"
#include "capture/proc_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_proc_syscall sc, sc2;
	struct rs_kstack_line kl;
	struct rs_proc_status st;
	struct rs_proc_stat pst;
	uint32_t ino, state, exit_state;
	uint64_t ns;
	char *s;

	if (!size)
		return 0;
	s = fuzz_str(data + 1, size - 1);
	switch (data[0] % 7) {
	case 0:
		if (!rs_parse_syscall(s, &sc) &&
		    (rs_parse_syscall(s, &sc2) || !rs_syscall_equal(&sc, &sc2)))
			abort(); /* the same text, the same facts */
		break;
	case 1:
		if (!rs_parse_kstack_line(s, &kl) && (!memchr(kl.name, '\0', sizeof(kl.name)) ||
						      !memchr(kl.module, '\0', sizeof(kl.module))))
			abort();
		break;
	case 2:
		rs_parse_status(s, &st);
		break;
	case 3:
		if (!rs_parse_stat(s, &pst) && !memchr(pst.comm, '\0', sizeof(pst.comm)))
			abort();
		break;
	case 4:
		rs_parse_sched_ns(s, "se.exec_start", &ns);
		break;
	case 5:
		rs_parse_ns_link(s, &ino);
		break;
	case 6:
		rs_state_from_letter(s[0], &state, &exit_state);
		break;
	}
	free(s);
	return 0;
}
