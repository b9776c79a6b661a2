/*
 * protocol.h: the messages between a server and its workers.
 *
 * Every socket here is AF_UNIX SOCK_SEQPACKET, so each message arrives whole or not at all.
 *
 *   registration pair (one per port, the workers' end inherited by every worker):
 *     worker -> server  REGISTER, carrying the server's end of the worker's own pair
 *   a worker's own pair:
 *     worker -> server  READY, once for each pending `client` call
 *     server -> worker  CONN, carrying one accepted connection and its peer address; with
 *                       -queue n the server may send a few ahead of the READYs that they
 *                       answer (and says so in each: SS_MSG_CONN_AHEAD)
 *     worker -> server  ACK, as soon as a CONN is received: until then the server keeps its
 *                       copy of the connection, and gives it to another worker if this one
 *                       dies first, so a killed worker loses only the connection it was serving
 *
 * A worker's end of its own pair reading end-of-file means the server is gone; the
 * server's end reading end-of-file means the worker is gone.
 */
#ifndef SOCKETSERVER_PROTOCOL_H
#define SOCKETSERVER_PROTOCOL_H

#include <stdint.h>
#include <sys/types.h>

#define SS_PROTOCOL_VERSION 2
#define SS_MSG_REGISTER 'R'
#define SS_MSG_READY 'r'
#define SS_MSG_CONN 'C'
/* A CONN from a server that may send connections ahead of READY (-queue n, see
 * server/dispatch.go): the worker then looks in its pair before it asks. */
#define SS_MSG_CONN_AHEAD 'A'
#define SS_MSG_ACK 'a'

/* Long enough for an IPv6 address with a zone: 45 + '%' + 15 + NUL, rounded up. */
#define SS_IP_MAX 64

struct ss_register_msg {
	uint8_t version;
	uint8_t type;
	uint16_t reserved;
	int32_t pid;
};

/* READY and ACK. */
struct ss_short_msg {
	uint8_t version;
	uint8_t type;
};

struct ss_conn_msg {
	uint8_t version;
	uint8_t type;
	uint16_t port;
	char ip[SS_IP_MAX];
};

/* Worker side. Each returns 0 or -1 with errno set. */
int ss_worker_register(int registration_fd, int *own_fd);
int ss_worker_ready(int own_fd);
int ss_worker_ack(int own_fd);
/* Returns 1 with a connection, whose ACK the caller sends (ss_worker_ack, at once: see
 * above), and *sends_ahead set if the server may send connections before they are asked
 * for; 0 at end of file (server gone), -1 with errno. */
int ss_worker_recv_conn(int own_fd, int *conn_fd, char ip[SS_IP_MAX], int *port, int *sends_ahead);

/* Server side. */
/* The registered fd, or -1 with errno: EAGAIN for none, EMFILE or ENFILE for one left queued
 * because this process has no descriptor to spare, EPROTO for a malformed one (dropped). */
int ss_server_recv_register(int registration_fd, int32_t *pid);
int ss_server_send_conn(int worker_fd, int conn_fd, const char *ip, int port, int sends_ahead);
/* Reads every READY and ACK waiting on a worker's pair, with as few system calls as it can.
 * Returns 1 (counts set; possibly 0), 0 at end of file, -1 on a malformed message or error. */
int ss_server_read_worker(int worker_fd, int *readies, int *acks);

#endif
