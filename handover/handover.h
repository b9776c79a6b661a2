/*
 * handover.h: the server's side of handing connections over to workers, C that only the
 * server process runs (the Go server calls it, through handover.go): the descriptors it
 * creates and its half of the protocol (see worker/protocol.h).
 *
 * Every descriptor created here is created under the process lock and registered with the
 * worker side's registry (worker.h), so that a forked child closes it. The worker side
 * never calls anything here.
 */
#ifndef SOCKETSERVER_HANDOVER_H
#define SOCKETSERVER_HANDOVER_H

#include "worker.h"
#include "protocol.h"

/* Server-only descriptors: created and registered atomically, closed in a forked child
 * (descriptors.c). */
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
/* The pipe a worker the server spawns gets as its lifeline (see protocol.h): both ends
 * registered, until the write end is handed to the new process (and then closed here). */
int ss_lifeline(int fds[2]);

/* The open-files soft limit when the library was loaded (see rlimit.c), or -1 if unknown. */
long long ss_open_files_limit_at_load(void);

/* The server's half of the protocol (protocol.c). */
/* Receives one registration into fds (server's end, copy of the worker's end, lifeline; all
 * registered). Returns 0, or -1 with errno: EAGAIN for none, EMFILE or ENFILE for one left
 * queued because this process has no descriptors to spare, EPROTO for a malformed one
 * (dropped). */
int ss_server_recv_register(int registration_fd, int fds[3], int32_t *pid);
/* Takes back one connection a dead worker had not read, through the server's copy of its end
 * (registered, as ss_recv_conn returns otherwise). Returns 1, or 0 or -1 when none is left,
 * with errno EMFILE or ENFILE if one is left that this process has no descriptor for. */
int ss_server_take_back(int worker_end, int *conn_fd, char ip[SS_IP_MAX], int *port);
/* The peer address a CONN carries. Passed and returned by value here, so that Go passes no
 * pointer and allocates nothing per connection. */
struct ss_peer {
	char ip[SS_IP_MAX];
	int port;
};
/* Sends one connection and closes the server's copy of it. Returns 0, or -1 with errno (the
 * connection is then still the server's). */
int ss_server_pass_conn(int worker_fd, int conn_fd, struct ss_peer peer, int sends_ahead);
/* What a worker's READYs said: rc is 1 (messages says how many; the state is set if it is
 * not 0), 0 at end of file, -1 on a malformed message or error (errno set). */
struct ss_worker_state {
	int rc, messages;
	uint32_t waiting;
	uint64_t taken;
};
/* Reads every READY waiting on a worker's pair, with as few system calls as it can, and keeps
 * the newest state. */
struct ss_worker_state ss_server_read_worker(int worker_fd);

#endif
