// SPDX-License-Identifier: GPL-2.0
/* SIGINT and SIGTERM as a stop flag, for the commands that run until told (cmd_priv.h). */
#include <signal.h>
#include "cmd/cmd_priv.h"

volatile sig_atomic_t rs_cmd_stop;

static void on_signal(int sig)
{
	rs_cmd_stop = sig;
}

void rs_cmd_signals_catch(struct rs_cmd_signals *saved)
{
	struct sigaction sa = { .sa_handler = on_signal };

	rs_cmd_stop = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &saved->old_int);
	sigaction(SIGTERM, &sa, &saved->old_term);
}

void rs_cmd_signals_restore(const struct rs_cmd_signals *saved)
{
	sigaction(SIGINT, &saved->old_int, NULL);
	sigaction(SIGTERM, &saved->old_term, NULL);
}
