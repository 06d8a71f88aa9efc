/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running programs from the selftests of both tiers (host and VM): a
 * shell command line with its output captured, a program whose stdout
 * the test reads as it comes, or a function in a child.
 */
#ifndef MCR_RUN_H
#define MCR_RUN_H

#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run a shell command line; its output into @out. Returns exit status. */
int sh(const char *cmd, char *out, size_t size);

/*
 * Start @path with @argv, its stdout into a pipe. Returns its pid and
 * the pipe's end to read in *@fd, or -1.
 */
pid_t spawn_piped(const char *path, char *const argv[], int *fd);

/* Run @fn(@arg) in a child that dies with the test; its wait status. */
int in_child(void (*fn)(void *), void *arg);

#endif /* MCR_RUN_H */
