// SPDX-License-Identifier: GPL-2.0
/*
 * swfloor OBJ: loads OBJ (swfloor.bpf.o), attaches its empty sched_switch
 * program and holds the link until SIGINT or SIGTERM. The overhead
 * benchmark's floor configuration; see swfloor.bpf.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *link;
	struct sigaction sa = { .sa_handler = on_signal };
	int e;

	if (argc != 2) {
		fprintf(stderr, "usage: swfloor swfloor.bpf.o\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "swfloor: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	e = bpf_object__load(obj);
	prog = bpf_object__find_program_by_name(obj, "empty_switch");
	link = !e && prog ? bpf_program__attach(prog) : NULL;
	if (!link) {
		fprintf(stderr, "swfloor: cannot load or attach %s: %s\n", argv[1],
			strerror(errno));
		bpf_object__close(obj);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop)
		pause();
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
