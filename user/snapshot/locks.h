/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RS_LOCKS_H
#define RS_LOCKS_H

#include "snapshot/model.h"

/*
 * Finds, for each thread of p blocked on a glibc pthread mutex (futex wait
 * on a contended lock word, or a PI futex), the mutex and the thread that
 * holds it, read from the mutex itself at capture time, when that owner is
 * one of the process's captured threads; then numbers the
 * wait-for cycles (deadlocks) among them. Fills the lock fields of the
 * threads and p->n_deadlocks. Locks without an owner field (Rust's std
 * Mutex, plain futexes) are left alone.
 */
void rs_locks_analyze(struct rs_process *p);

#endif
