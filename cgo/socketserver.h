/*
 * socketserver.h: declarations shared by the C files of the Tcl binding.
 *
 * The Go/C boundary: command.c dispatches ::socketserver::socket. Its client subcommand
 * (worker.c) and everything that can run in a worker is C, and calls no Go (errors.c,
 * fork.c, notifier.c too). The server, info, close and handoff subcommands and
 * ::socketserver::pool (pool.c) call the Go functions exported in exports.go, and only after
 * ss_forked() says this is not a forked child, because a child forked without exec cannot
 * run Go.
 */
#ifndef SOCKETSERVER_H
#define SOCKETSERVER_H

#include "tclcompat.h"
#include "version.h"

/* Creates ::socketserver::socket in interp. Called by Socketserver_Init after Tcl_InitStubs. */
int SocketserverCmd_Init(Tcl_Interp *interp);

/*
 * The errors of the C side (errors.c, which calls no Go). ss_error sets every one of them:
 * the message, printf-style, and the -errorcode: the words of code (a list in a string, such
 * as "SOCKETSERVER NOSERVER"), then word, unless NULL, as one more (a port, a pool's name:
 * quoted as a list element needs). Returns TCL_ERROR.
 */
int ss_error(Tcl_Interp *interp, const char *code, Tcl_Obj *word, const char *format, ...);
/* A system call failed with err: the message, then ": " and err's, and Tcl's own -errorcode
 * for it ({POSIX ENAME message}, from Tcl_PosixError). Returns TCL_ERROR. */
int ss_posix_error(Tcl_Interp *interp, int err, const char *format, ...);
/* Reports the error just set in interp (by ss_error or an error below) as a background error. */
void ss_background_error(Tcl_Interp *interp);
/* {SOCKETSERVER NOSERVER port}: no server of this process on port; for port 0 (none named),
 * {SOCKETSERVER NOSERVER}: no server at all. */
int ss_no_server_error(Tcl_Interp *interp, int port);
/* {SOCKETSERVER SERVERGONE port}: the server on port closed, or its process died. */
int ss_server_gone_error(Tcl_Interp *interp, int port);

/* The client subcommand (worker.c): C only, safe in a forked worker. */
int ss_client_cmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[]);
/* ::socketserver::ClientPort ?port?, for prefork: the port client would use, or its error. */
int ss_client_port_cmd(ClientData data, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[]);
void ss_worker_init_process(void);
int ss_worker_from_environment(Tcl_Interp *interp);

/* ::socketserver::fork and ::socketserver::wait (fork.c): C only, like TclX's. */
void ss_fork_init(Tcl_Interp *interp);
/* Fork handlers giving a forked child epoll instances and eventfds of its own (notifier.c). */
void ss_epoll_fork_init(void);
void ss_epoll_fork_prepare(void);
void ss_epoll_fork_parent(void);
void ss_epoll_fork_child(void);

/* ::socketserver::pool (pool.c). */
int ss_pool_cmd(ClientData data, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[]);

/* Errors Go returns: a system error (errnum) worded as Tcl's own socket -server words it,
 * or Go's message and -errorcode (malloc'd; freed here). Returns TCL_ERROR. */
int ss_go_error(Tcl_Interp *interp, int errnum, char *message, char *errorcode);
int ss_forked_error(Tcl_Interp *interp, const char *command);

/* Reads a port that names a server (client -port, info, close, handoff, pool create -port):
 * 1 to SS_PORT_MAX, any other number {SOCKETSERVER BADVALUE port value}. C's, not Go's,
 * because `client` reads it in forked workers. */
int ss_port_arg(Tcl_Interp *interp, Tcl_Obj *obj, int *port);

/* Reads an integer as a Tcl_WideInt, failing as Tcl_GetIntFromObj does for a non-integer. */
int ss_get_wide(Tcl_Interp *interp, Tcl_Obj *obj, Tcl_WideInt *wide);


/*
 * A reporter carries background errors from the server's Go threads to the interpreter that
 * created the server (report.c). Go holds a reference while a server lives; it is a C
 * pointer, never a Go one.
 */
typedef struct ss_reporter ss_reporter;
ss_reporter *ss_reporter_for(Tcl_Interp *interp);
void ss_reporter_retain(ss_reporter *reporter);
void ss_reporter_release(ss_reporter *reporter);
/* From any thread: queues a background error; takes ownership of the malloc'd strings. */
void ss_report(ss_reporter *reporter, char *message, char *errorcode);

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
