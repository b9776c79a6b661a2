/*
 * forksafe.h: the C half of the rule this project lives by.
 *
 * Go owns the server process, and a child made by fork() without exec cannot run Go
 * (its runtime's threads are gone; the first goroutine switch or GC can hang). So every
 * descriptor the Go server creates is created here, in C, under one process lock that the
 * pthread_atfork handlers also take: a fork never happens half-way through creating one,
 * and the forked child closes them all before any Tcl code of its own runs. The child also
 * gets back the signal dispositions Go replaced, and ss_forked() tells the Tcl commands
 * that they must not enter Go.
 *
 * Nothing in this file's implementation calls into Go.
 */
#ifndef SOCKETSERVER_FORKSAFE_H
#define SOCKETSERVER_FORKSAFE_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Nonzero in a process forked (without exec) from one that had loaded the library. */
int ss_forked(void);

/*
 * The process lock. Held only for short, non-blocking work: creating and registering a
 * descriptor, closing one, editing the port table, and every call a Go thread makes into
 * Tcl (so a fork never copies a Tcl mutex that a Go thread holds).
 */
void ss_lock(void);
void ss_unlock(void);

/* Server-only descriptors: created and registered atomically, closed in a forked child. */
int ss_socket(int domain, int type, int protocol);
/* An accepted connection and its peer, returned by value (so that Go passes no pointer and
 * allocates nothing per connection); fd is -1 with errno set if none was accepted. */
struct ss_accepted {
	int fd;
	struct sockaddr_storage peer;
};
struct ss_accepted ss_accept(int listenfd);
int ss_epoll(void);
int ss_eventfd(void);
/* SOCK_SEQPACKET pair. sv[0] is registered; sv[1] too if register_both (a pair whose other
 * end goes to a process the server spawns), else not (an end every forked worker inherits). */
int ss_socketpair(int sv[2], int register_both);
int ss_adopt(int fd); /* register a descriptor the server was given; EEXIST if it already is */
int ss_close(int fd);                      /* unregister and close */
/* For creators elsewhere: call with the lock held just after creating fd (or -1, errno set);
 * registers it and releases the lock, keeping errno. */
int ss_finish_create(int fd);
/* The same for n descriptors at once: 0, or -1 with all of them closed (ENOMEM). */
int ss_finish_create_all(int *fds, int n);
/* The pipe a worker the server spawns gets as its lifeline (see protocol.h): both ends
 * registered, until the write end is handed to the new process (and then closed here). */
int ss_lifeline(int fds[2]);

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

/* The open-files soft limit when the library was loaded (see rlimit.c), or -1 if unknown. */
long long ss_open_files_limit_at_load(void);

/* Signal dispositions: see signals.c. */
void ss_signals_note_go(void);
void ss_signals_restore_in_child(void);

/* The highest TCP port: the one definition of the ports' range, for C and Go (PortMax). */
#define SS_PORT_MAX 65535

/*
 * The port table: for each port this process serves, the workers' end of its registration
 * pair. It lives in C memory so a forked worker finds it without calling Go. Each publish
 * gets a new generation, so a worker can tell a server that was closed and opened again.
 */
int ss_ports_publish(int port, int registration_fd); /* 0, or -1 with errno */
/* Two servers may share a port (-reuseport): the registration pair says which one goes. */
void ss_ports_withdraw(int port, int registration_fd);
/* port 0 asks for the first port published: this is the one place that says what a worker's
 * `client` without -port uses, and what `pool create` and prefork without -port use too.
 * Returns the port, or 0 if there is none. */
int ss_ports_lookup(int port, int *registration_fd, unsigned *generation);
/* Nonzero if a server of this process (or of the parent it was forked from) served port
 * and none does now: its server is gone, not unknown. */
int ss_ports_closed(int port);

#endif
