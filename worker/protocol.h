/*
 * protocol.h: the messages between a server and its workers.
 *
 * Every socket here is AF_UNIX SOCK_SEQPACKET, so each message arrives whole or not at all.
 *
 *   registration pair (one per port, the workers' end inherited by every worker):
 *     worker -> server  REGISTER, carrying three descriptors: the server's end of the
 *                       worker's own pair, a second copy of the worker's end of it, and the
 *                       read end of the worker's lifeline, a pipe whose write end only the
 *                       worker holds
 *   a worker's own pair:
 *     worker -> server  READY, carrying the worker's state: how many `client` calls wait for a
 *                       connection, and how many connections it has taken from the pair so
 *                       far. The server has sent some number of connections; those the worker
 *                       has not taken answer the waiting calls first, in order, so the server
 *                       sends only what the calls still lack. Sent by a `client` call that
 *                       found nothing in the pair, and, with -queue n, after taking a
 *                       connection sent ahead that left at most SS_REFILL_AT in the pair.
 *     server -> worker  CONN, carrying one accepted connection and its peer address; with
 *                       -queue n the server may send up to SS_AHEAD_MAX more than the calls
 *                       asked for (and says so in each: SS_MSG_CONN_AHEAD)
 *
 * The server closes its copy of a connection as soon as it is sent. What a worker had not
 * taken when it died is still in its pair: the server reads it back through its copy of the
 * worker's end and gives it to another worker, so a killed worker loses only the connections
 * it was serving. The lifeline reading end-of-file means the worker is gone (its copy of its
 * own end keeps the pair open); a worker's end of its own pair reading end-of-file means the
 * server is gone.
 */
#ifndef SOCKETSERVER_PROTOCOL_H
#define SOCKETSERVER_PROTOCOL_H

#include <stdint.h>
#include <sys/types.h>

#define SS_PROTOCOL_VERSION 3
#define SS_MSG_REGISTER 'R'
#define SS_MSG_READY 'r'
#define SS_MSG_CONN 'C'
/* A CONN from a server that may send connections ahead of READY (-queue n, see
 * server/dispatch.go): the worker then looks in its pair before it asks. */
#define SS_MSG_CONN_AHEAD 'A'

/* How many connections a server sends a busy worker ahead of its calls, at most; and how few
 * left in the pair make the worker ask for more (see READY above). */
#define SS_AHEAD_MAX 4
#define SS_REFILL_AT 1

/* Long enough for an IPv6 address with a zone: 45 + '%' + 15 + NUL, rounded up. */
#define SS_IP_MAX 64

struct ss_register_msg {
	uint8_t version;
	uint8_t type;
	uint16_t reserved;
	int32_t pid;
};

struct ss_ready_msg {
	uint8_t version;
	uint8_t type;
	uint16_t reserved;
	uint32_t waiting; /* `client` calls waiting for a connection */
	uint64_t taken;   /* connections taken from the pair since it was made */
};

struct ss_conn_msg {
	uint8_t version;
	uint8_t type;
	uint16_t port;
	char ip[SS_IP_MAX];
};

/* Worker side. Each returns 0 or -1 with errno set. */
/* Makes the worker's own pair and lifeline and registers them: *own_fd is the worker's end of
 * its pair, *lifeline_fd the write end of its lifeline, both close-on-exec. */
int ss_worker_register(int registration_fd, int *own_fd, int *lifeline_fd);
int ss_worker_ready(int own_fd, uint32_t waiting, uint64_t taken);
/* How many connections wait unread in the pair, or -1 with errno. */
int ss_worker_unread(int own_fd);
/* Receives one connection without waiting (the server takes back a dead worker's with it,
 * too). Returns 1 with a connection and *sends_ahead set if the server may send connections
 * before they are asked for; 0 at end of file (server gone), -1 with errno (EAGAIN: none).
 * flags: 0, or MSG_PEEK. */
int ss_recv_conn(int fd, int *conn_fd, char ip[SS_IP_MAX], int *port, int *sends_ahead, int flags);

/* The server side is the server's own: handover/handover.h. */

#endif
