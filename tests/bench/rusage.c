// SPDX-License-Identifier: GPL-2.0
/*
 * rusage: runs a command and writes its peak RSS and CPU time to a file.
 *
 *   rusage FILE COMMAND [ARG...]
 *
 * FILE gets one line "maxrss_kb user_s system_s"; the exit status is the
 * command's (128 + signal when it was killed). The benchmarks start every
 * tool through it because a child's ru_maxrss is never below the RSS of the
 * process it was forked from (Linux carries the pre-exec RSS into
 * signal->maxrss, even through vfork): forked straight from the Python
 * runner, every tool would "use" at least the runner's RSS. Forked from this
 * small program, the floor is this program's RSS (~1 MB).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage FILE COMMAND [ARG...]\n");
		return 64;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "rusage: cannot fork: %s\n", strerror(errno));
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "rusage: cannot run '%s': %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "rusage: wait4: %s\n", strerror(errno));
			return 127;
		}
	}
	f = fopen(argv[1], "w");
	if (!f) {
		fprintf(stderr, "rusage: cannot open '%s': %s\n", argv[1], strerror(errno));
		return 127;
	}
	fprintf(f, "%ld %ld.%06ld %ld.%06ld\n", ru.ru_maxrss, (long)ru.ru_utime.tv_sec,
		(long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	if (fclose(f)) {
		fprintf(stderr, "rusage: cannot write '%s': %s\n", argv[1], strerror(errno));
		return 127;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
