// SPDX-License-Identifier: GPL-2.0
/* Ownership helpers for the snapshot model (snapshot.h). */
#include <stdlib.h>
#include "snapshot/snapshot.h"

void rs_thread_clear(struct rs_thread *t)
{
	if (!t)
		return;
	rs_frames_free(t->kframes, t->n_kframes);
	rs_frames_free(t->uframes, t->n_uframes);
	rs_data_name_clear(&t->lock_name);
	rs_data_name_clear(&t->futex_name);
	t->futex_named = false;
	t->kframes = t->uframes = NULL;
	t->n_kframes = t->n_uframes = 0;
	rs_wait_free(t->wait);
	t->wait = NULL;
}

void rs_process_clear(struct rs_process *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_threads; i++)
		rs_thread_clear(&p->threads[i]);
	free(p->threads);
	free(p->exe);
	free(p->cgroup);
	free(p->error);
	p->threads = NULL;
	p->n_threads = 0;
	p->exe = p->cgroup = p->error = NULL;
}

void rs_snapshot_clear(struct rs_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_procs; i++)
		rs_process_clear(&s->procs[i]);
	free(s->procs);
	free(s->target);
	free(s->compare.exited);
	s->procs = NULL;
	s->n_procs = 0;
	s->target = NULL;
	s->compare.exited = NULL;
	s->compare.n_exited = 0;
}

/* Same letters and precedence as the kernel's task_state_array / get_task_state(). */
char rs_state_letter(uint32_t state, uint32_t exit_state)
{
	/* TASK_* bits as in include/linux/sched.h */
	const uint32_t running = 0, interruptible = 0x1, uninterruptible = 0x2, stopped = 0x4,
		       traced = 0x8, exit_dead = 0x10, exit_zombie = 0x20, parked = 0x40,
		       noload = 0x400, report_idle = uninterruptible | noload, rtlock_wait = 0x1000,
		       report = 0x7f; /* TASK_REPORT */

	if (exit_state & exit_zombie)
		return 'Z';
	if (exit_state & exit_dead)
		return 'X';
	if ((state & report_idle) == report_idle)
		return 'I';
	if (state == rtlock_wait)
		return 'D';
	/* bits outside TASK_REPORT (TASK_WAKING mid-wakeup, TASK_NEW…) read as R, as in /proc */
	state &= report;
	if (state == running)
		return 'R';
	if (state & interruptible)
		return 'S';
	if (state & uninterruptible)
		return 'D';
	if (state & stopped)
		return 'T';
	if (state & traced)
		return 't';
	if (state & parked)
		return 'P';
	return '?';
}
