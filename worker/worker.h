/*
 * worker.h: the worker side, the C that a process forked (without exec) from the server
 * may run.
 *
 * Go owns the server process, and a child made by fork() without exec cannot run Go
 * (its runtime's threads are gone; the first goroutine switch or GC can hang). So
 * everything such a child may execute is here, and none of it calls Go or the server
 * side's C (commands/, handover/): the server side calls this side, never the other way,
 * except through the table of ss_server_side, which only a process that is not a forked
 * child uses.
 *
 * Every descriptor the Go server creates is created in C, under one process lock that the
 * fork handler also takes: a fork never happens half-way through creating one, and the
 * forked child closes them all before any Tcl code of its own runs. The child also gets
 * back the signal dispositions Go replaced, and ss_forked() tells the commands that they
 * must not enter the server side.
 */
#ifndef SOCKETSERVER_WORKER_H
#define SOCKETSERVER_WORKER_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "tclcompat.h"

/* Nonzero in a process forked (without exec) from one that had loaded the library. */
int ss_forked(void);

/*
 * The process lock. Held only for short, non-blocking work: creating and registering a
 * descriptor, closing one, editing the port table, and every call a Go thread makes into
 * Tcl (so a fork never copies a Tcl mutex that a Go thread holds).
 */
void ss_lock(void);
void ss_unlock(void);

/* Server-only descriptors, closed in a forked child. The server creates them (see
 * handover/handover.h) with the lock held and then calls ss_finish_create, which registers
 * fd (or does nothing with -1, errno set) and releases the lock, keeping errno. */
int ss_finish_create(int fd);
/* The same for n descriptors at once: 0, or -1 with all of them closed (ENOMEM). */
int ss_finish_create_all(int *fds, int n);
int ss_adopt(int fd); /* register a descriptor the server was given; EEXIST if it already is */
int ss_close(int fd); /* unregister and close */

/* Descriptor passing over AF_UNIX SOCK_SEQPACKET (no lock: used by both sides), at most 3
 * descriptors a message. */
ssize_t ss_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags);
ssize_t ss_send_fd(int sock, const void *buf, size_t len, int fd, int flags); /* fd -1: none */
/*
 * Receives one message into buf; fds get the nfds descriptors it carried, or all -1 if it
 * carried none. Returns the message length, 0 at end of file, -1 with errno set. A message
 * whose control data was truncated (MSG_CTRUNC) or that carried another number of
 * descriptors fails with EPROTO, and every descriptor it did carry is closed; one whose
 * descriptors this process had no room for fails with EMFILE or ENFILE (with MSG_PEEK, it
 * stays queued).
 */
ssize_t ss_recv_fds(int sock, void *buf, size_t len, int *fds, int nfds, int flags);
ssize_t ss_recv_fd(int sock, void *buf, size_t len, int *fd, int flags);

/* Signal dispositions: see signals.c. */
void ss_signals_note_go(void);
void ss_signals_restore_in_child(void);

/*
 * The parts of the fork handler (atfork.c), which calls them in its stated order: the
 * registry's (registry.c: the process lock is ss_lock), the parent's registrations
 * (client.c), a Tcl 9 notifier of the child's own (notifier.c), the children table (fork.c).
 */
void ss_mark_forked(void);
void ss_close_registered(void);
void ss_forget_parent_registrations(void);
void ss_children_fork_prepare(void);
void ss_children_fork_parent(void);
void ss_children_fork_child(void);

/*
 * The port table: for each port this process serves, the workers' end of its registration
 * pair. It lives in C memory so a forked worker finds it without calling Go. Each publish
 * gets a new generation, so a worker can tell a server that was closed and opened again.
 */
int ss_ports_publish(int port, int registration_fd); /* 0, or -1 with errno */
/* Two servers may share a port (-reuseport): the registration pair says which one goes. */
void ss_ports_withdraw(int port, int registration_fd);
/* The highest TCP port: the one definition of the ports' range, for C and Go (PortMax). */
#define SS_PORT_MAX 65535

/* port 0 asks for the first port published: this is the one place that says what a worker's
 * `client` without -port uses, and what `pool create` and prefork without -port use too.
 * Returns the port, or 0 if there is none. */
int ss_ports_lookup(int port, int *registration_fd, unsigned *generation);
/* Nonzero if a server of this process (or of the parent it was forked from) served port
 * and none does now: its server is gone, not unknown. */
int ss_ports_closed(int port);

/*
 * The errors of the C side (errors.c). ss_error sets every one of them: the message,
 * printf-style, and the -errorcode: the words of code (a list in a string, such as
 * "SOCKETSERVER NOSERVER"), then word, unless NULL, as one more (a port, a pool's name:
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

/* Reads a port that names a server (client -port, info, close, handoff, pool create -port):
 * 1 to SS_PORT_MAX, any other number {SOCKETSERVER BADVALUE port value}. The worker side's,
 * not Go's, because `client` reads it in forked workers. */
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
 * The package's commands (commands.c): ::socketserver::socket, ::socketserver::pool,
 * ::socketserver::fork and ::socketserver::wait, created in interp. Called by
 * Socketserver_Init after Tcl_InitStubs, in every process, forked or not.
 */
int ss_worker_init(Tcl_Interp *interp);

/* The subcommands of ::socketserver::socket and ::socketserver::pool, in their tables'
 * order (commands.c). */
enum { SS_SOCKET_CLIENT, SS_SOCKET_CLOSE, SS_SOCKET_HANDOFF, SS_SOCKET_INFO, SS_SOCKET_SERVER };
enum { SS_POOL_CREATE, SS_POOL_INFO, SS_POOL_NAMES, SS_POOL_RELOAD, SS_POOL_STOP };

/*
 * The server side (commands/), for the subcommands that run Go: registered when the package
 * loads in a process that is not a forked child, before the commands are created, so before
 * that process can fork. ss_server_side() returns it, or NULL in a forked child: whatever
 * the child inherited of it is never called, so no server-side C runs there.
 */
typedef int ss_subcommand_proc(Tcl_Interp *interp, int index, int objc, Tcl_Obj *const objv[]);
struct ss_server_side {
	ss_subcommand_proc *socket; /* close, handoff, info and server (SS_SOCKET_*) */
	ss_subcommand_proc *pool;   /* every subcommand (SS_POOL_*) */
	/* Closes the servers of an interpreter being deleted (report.c). */
	void (*close_servers_of)(ss_reporter *reporter);
};
void ss_register_server_side(const struct ss_server_side *server_side);
const struct ss_server_side *ss_server_side(void);

/* The client subcommand (client.c). */
int ss_client_cmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[]);
/* ::socketserver::ClientPort ?port?, for prefork: the port client would use, or its error. */
int ss_client_port_cmd(ClientData data, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[]);
int ss_worker_from_environment(Tcl_Interp *interp);

/* ::socketserver::fork and ::socketserver::wait (fork.c): C only, like TclX's. */
void ss_fork_init(Tcl_Interp *interp);
/* A forked child's epoll instances and eventfds of its own (notifier.c): the reserve of
 * descriptors taken when the package is first initialised, then the fork handler's parts. */
void ss_epoll_fork_init(void);
void ss_epoll_fork_prepare(void);
void ss_epoll_fork_parent(void);
void ss_epoll_fork_child(void);

#endif
