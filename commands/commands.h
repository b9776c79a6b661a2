/*
 * commands.h: the server side of the package's commands, the C that calls Go.
 *
 * The commands themselves are the worker side's (worker/commands.c): they dispatch
 * `server`, `info`, `close`, `handoff` and every `pool` subcommand here through the table
 * ss_server_init registers, and only in a process that is not a forked child, because a
 * child forked without exec cannot run Go. Nothing of the worker side calls this header's
 * functions directly.
 */
#ifndef SOCKETSERVER_COMMANDS_H
#define SOCKETSERVER_COMMANDS_H

#include "worker.h"

/* Starts Go and registers the server side with the worker side's commands. Called by
 * Socketserver_Init, before they are created, in a process that is not a forked child. */
void ss_server_init(void);

/* ::socketserver::pool's subcommands (pool.c); index is one of SS_POOL_*. */
int ss_pool_subcommand(Tcl_Interp *interp, int index, int objc, Tcl_Obj *const objv[]);

/* Errors Go returns: a system error (errnum) worded as Tcl's own socket -server words it,
 * or Go's message and -errorcode (malloc'd; freed here). Returns TCL_ERROR. */
int ss_go_error(Tcl_Interp *interp, int errnum, char *message, char *errorcode);

/* Reads an integer from min to max; out of range is {SOCKETSERVER BADVALUE what value}. */
int ss_get_ranged(Tcl_Interp *interp, Tcl_Obj *obj, const char *what, Tcl_WideInt min, Tcl_WideInt max,
                  const char *must, int *value);

/* What `server` was asked for, typed by Tcl's own parsers, for Go to validate and open. */
/* Numbers as the caller wrote them (wide), so Go's range checks report them unchanged. */
struct ss_server_options {
	long long port, backlog, queue, proxytimeout_ms, fd, waitdata_ms;
	int backlog_given, fd_given, proxytimeout_given, reuseport;
	const char *myaddr; /* NULL: every address */
	/* fd: -fd adopts this listening socket (-1 for none); systemd: -systemd adopts the
	 * sockets systemd passed, described by LISTEN_PID and LISTEN_FDS (as set, NULL if not). */
	int systemd, proxyprotocol;
	const char *listen_pid, *listen_fds;
};

struct ss_info {
	int port, backlog, queue, workers, ready, queued;
	unsigned long long accepted, dispatched, rejected, silent;
};

/* What `pool create` was asked for. */
struct ss_pool_options {
	int port, workers, stoptimeout_ms;
	long long maxconnections;
	const char *executable, *script, *library_dir;
	int argc;
	const char **argv;
	char **environ;
};

#endif
