/*
 * protocol.c: the worker's half of the messages described in protocol.h: registering with a
 * server, READY, and receiving connections. The server's half is handover/protocol.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker.h"
#include "protocol.h"

int ss_worker_register(int registration_fd, int *own_fd, int *lifeline_fd)
{
	int pair[2], lifeline[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
		return -1;
	if (pipe2(lifeline, O_CLOEXEC) != 0) {
		int saved = errno;
		close(pair[0]);
		close(pair[1]);
		errno = saved;
		return -1;
	}
	struct ss_register_msg msg = {
		.version = SS_PROTOCOL_VERSION, .type = SS_MSG_REGISTER, .pid = (int32_t)getpid()};
	int passed[3] = {pair[1], pair[0], lifeline[0]};
	/* Blocking: the registration pair is shared by every worker and may be momentarily full. */
	ssize_t n = ss_send_fds(registration_fd, &msg, sizeof(msg), passed, 3, 0);
	int saved = errno;
	close(pair[1]);
	close(lifeline[0]);
	if (n != (ssize_t)sizeof(msg)) {
		close(pair[0]);
		close(lifeline[1]);
		errno = n < 0 ? saved : EPROTO;
		return -1;
	}
	*own_fd = pair[0];
	*lifeline_fd = lifeline[1];
	return 0;
}

int ss_worker_ready(int own_fd, uint32_t waiting, uint64_t taken)
{
	struct ss_ready_msg msg = {
		.version = SS_PROTOCOL_VERSION, .type = SS_MSG_READY, .waiting = waiting, .taken = taken};
	ssize_t n = ss_send_fd(own_fd, &msg, sizeof(msg), -1, MSG_DONTWAIT);
	return n == (ssize_t)sizeof(msg) ? 0 : -1;
}

int ss_worker_unread(int own_fd)
{
	/* On a SOCK_SEQPACKET socket FIONREAD counts every queued byte, not the first message's,
	 * and only CONN messages come this way. */
	int bytes;
	if (ioctl(own_fd, FIONREAD, &bytes) != 0)
		return -1;
	return bytes / (int)sizeof(struct ss_conn_msg);
}

int ss_recv_conn(int fd, int *conn_fd, char ip[SS_IP_MAX], int *port, int *sends_ahead, int flags)
{
	struct ss_conn_msg msg;
	ssize_t n = ss_recv_fd(fd, &msg, sizeof(msg), conn_fd, MSG_DONTWAIT | flags);
	if (n <= 0)
		return (int)n;
	if (n != (ssize_t)sizeof(msg) || msg.version != SS_PROTOCOL_VERSION ||
	    (msg.type != SS_MSG_CONN && msg.type != SS_MSG_CONN_AHEAD) || *conn_fd < 0 || memchr(msg.ip, 0, SS_IP_MAX) == NULL) {
		if (*conn_fd >= 0)
			close(*conn_fd);
		*conn_fd = -1;
		errno = EPROTO;
		return -1;
	}
	memcpy(ip, msg.ip, SS_IP_MAX);
	*port = msg.port;
	*sends_ahead = msg.type == SS_MSG_CONN_AHEAD;
	return 1;
}
