/* protocol.c: encoding and decoding the messages described in protocol.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "forksafe.h"
#include "protocol.h"

int ss_worker_register(int registration_fd, int *own_fd)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
		return -1;
	struct ss_register_msg msg = {
		.version = SS_PROTOCOL_VERSION, .type = SS_MSG_REGISTER, .pid = (int32_t)getpid()};
	/* Blocking: the registration pair is shared by every worker and may be momentarily full. */
	ssize_t n = ss_send_fd(registration_fd, &msg, sizeof(msg), pair[1], 0);
	int saved = errno;
	close(pair[1]);
	if (n != (ssize_t)sizeof(msg)) {
		close(pair[0]);
		errno = n < 0 ? saved : EPROTO;
		return -1;
	}
	*own_fd = pair[0];
	return 0;
}

static int send_short(int own_fd, uint8_t type)
{
	struct ss_short_msg msg = {.version = SS_PROTOCOL_VERSION, .type = type};
	ssize_t n = ss_send_fd(own_fd, &msg, sizeof(msg), -1, MSG_DONTWAIT);
	return n == (ssize_t)sizeof(msg) ? 0 : -1;
}

int ss_worker_ready(int own_fd) { return send_short(own_fd, SS_MSG_READY); }
int ss_worker_ack(int own_fd) { return send_short(own_fd, SS_MSG_ACK); }

int ss_worker_recv_conn(int own_fd, int *conn_fd, char ip[SS_IP_MAX], int *port, int *sends_ahead)
{
	struct ss_conn_msg msg;
	ssize_t n = ss_recv_fd(own_fd, &msg, sizeof(msg), conn_fd, MSG_DONTWAIT);
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

int ss_server_recv_register(int registration_fd, int32_t *pid)
{
	struct ss_register_msg msg;
	int fd = -1;
	/* Under the process lock, so that a fork never copies a descriptor not yet registered.
	 * Peeked first: if this process is out of descriptors the registration stays queued,
	 * for the server to take once it has room, instead of being lost with the worker's end. */
	ss_lock();
	ssize_t n = ss_recv_fd(registration_fd, &msg, sizeof(msg), &fd, MSG_DONTWAIT | MSG_PEEK);
	int saved = errno;
	if (n > 0 || (n < 0 && saved == EPROTO)) {
		/* Consume it, without a control buffer: the copy of the descriptor it would carry
		 * is released by the kernel, never installed. */
		struct ss_register_msg ignored;
		ssize_t consumed;
		do
			consumed = recv(registration_fd, &ignored, sizeof(ignored), MSG_DONTWAIT);
		while (consumed < 0 && errno == EINTR);
	}
	if (n > 0 && (n != (ssize_t)sizeof(msg) || msg.version != SS_PROTOCOL_VERSION ||
	              msg.type != SS_MSG_REGISTER || fd < 0)) {
		if (fd >= 0)
			close(fd);
		fd = -1;
		saved = EPROTO;
	} else if (n == 0) {
		saved = ECONNRESET;
	}
	errno = saved;
	fd = ss_finish_create(fd);
	if (fd >= 0)
		*pid = msg.pid;
	return fd;
}

#define READ_BATCH 16

int ss_server_read_worker(int worker_fd, int *readies, int *acks)
{
	struct ss_short_msg msgs[READ_BATCH];
	struct iovec iov[READ_BATCH];
	struct mmsghdr hdrs[READ_BATCH];

	*readies = *acks = 0;
	for (;;) {
		memset(hdrs, 0, sizeof(hdrs));
		for (int i = 0; i < READ_BATCH; i++) {
			iov[i] = (struct iovec){.iov_base = &msgs[i], .iov_len = sizeof(msgs[i])};
			hdrs[i].msg_hdr.msg_iov = &iov[i];
			hdrs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(worker_fd, hdrs, READ_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 1 : -1;
		for (int i = 0; i < n; i++) {
			if (hdrs[i].msg_len == 0)
				return 0; /* end of file: the worker is gone */
			if (hdrs[i].msg_len != sizeof(struct ss_short_msg) || msgs[i].version != SS_PROTOCOL_VERSION ||
			    (hdrs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
				errno = EPROTO;
				return -1;
			}
			if (msgs[i].type == SS_MSG_READY)
				(*readies)++;
			else if (msgs[i].type == SS_MSG_ACK)
				(*acks)++;
			else {
				errno = EPROTO;
				return -1;
			}
		}
		if (n < READ_BATCH)
			return 1; /* drained: no need to ask again */
	}
}

int ss_server_send_conn(int worker_fd, int conn_fd, const char *ip, int port, int sends_ahead)
{
	struct ss_conn_msg msg = {.version = SS_PROTOCOL_VERSION,
	                          .type = sends_ahead ? SS_MSG_CONN_AHEAD : SS_MSG_CONN,
	                          .port = (uint16_t)port};
	strncpy(msg.ip, ip, SS_IP_MAX - 1);
	ssize_t n = ss_send_fd(worker_fd, &msg, sizeof(msg), conn_fd, MSG_DONTWAIT);
	return n == (ssize_t)sizeof(msg) ? 0 : -1;
}
