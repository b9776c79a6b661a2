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

/*
 * What `server` was asked for, typed by Tcl's own parsers, for Go to copy into server.Options
 * and validate there (Options.Validate): the numbers as the caller wrote them (wide), so the
 * errors name them unchanged. Two shapes, because the cgo boundary needs two: C cannot make a
 * Go value, and the server package cannot see a C type.
 */
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

/* What `pool create` was asked for: port checked (ss_port_arg; 0 if not given), the other
 * numbers as the caller wrote them, for Go to check (pool.Config.Validate). */
struct ss_pool_options {
	int port;
	long long workers, maxconnections, stoptimeout_ms;
	const char *executable, *script, *library_dir;
	int argc;
	const char **argv;
	char **environ;
};

#endif
