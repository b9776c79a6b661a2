/*
 * protocol.c: the server's half of the messages described in worker/protocol.h: receiving
 * registrations, taking back what a dead worker left, reading READYs, passing connections.
 * The worker's half is worker/protocol.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handover.h"

/* Consumes a message that was peeked, without a control buffer: the copies of the descriptors
 * it carries are released by the kernel, never installed (the peek installed ours). */
static void discard_peeked(int fd, size_t len)
{
	union {
		struct ss_conn_msg conn;
		struct ss_register_msg reg;
	} ignored;
	ssize_t consumed;
	do
		consumed = recv(fd, &ignored, len, MSG_DONTWAIT);
	while (consumed < 0 && errno == EINTR);
}

int ss_server_take_back(int worker_end, int *conn_fd, char ip[SS_IP_MAX], int *port)
{
	int sends_ahead;
	/* Under the lock, as every server descriptor is made: a fork must not copy it unregistered.
	 * Peeked first, as a registration is: out of descriptors, the connection stays in the pair
	 * (EMFILE or ENFILE) for the server to take once it has room, instead of being lost. */
	ss_lock();
	int got = ss_recv_conn(worker_end, conn_fd, ip, port, &sends_ahead, MSG_PEEK);
	int saved = errno;
	if (got == 1 || (got < 0 && saved == EPROTO))
		discard_peeked(worker_end, sizeof(struct ss_conn_msg));
	if (got != 1) {
		ss_unlock();
		errno = saved;
		return got;
	}
	*conn_fd = ss_finish_create(*conn_fd);
	return *conn_fd < 0 ? -1 : 1;
}

int ss_server_recv_register(int registration_fd, int fds[3], int32_t *pid)
{
	struct ss_register_msg msg;
	/* Under the process lock, so that a fork never copies a descriptor not yet registered.
	 * Peeked first: if this process is out of descriptors the registration stays queued,
	 * for the server to take once it has room, instead of being lost with the worker's end. */
	ss_lock();
	ssize_t n = ss_recv_fds(registration_fd, &msg, sizeof(msg), fds, 3, MSG_DONTWAIT | MSG_PEEK);
	int saved = errno;
	if (n > 0 || (n < 0 && saved == EPROTO))
		discard_peeked(registration_fd, sizeof(struct ss_register_msg));
	if (n > 0 && (n != (ssize_t)sizeof(msg) || msg.version != SS_PROTOCOL_VERSION ||
	              msg.type != SS_MSG_REGISTER || fds[0] < 0)) {
		for (int i = 0; i < 3; i++) {
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
		}
		saved = EPROTO;
	} else if (n == 0) {
		saved = ECONNRESET;
	}
	if (n <= 0 || fds[0] < 0) {
		ss_unlock();
		errno = saved;
		return -1;
	}
	if (ss_finish_create_all(fds, 3) != 0)
		return -1;
	*pid = msg.pid;
	return 0;
}

#define READ_BATCH 16

/* ss_server_read_worker's loop: returns what goes in state->rc. */
static int read_worker(int worker_fd, struct ss_worker_state *state)
{
	struct ss_ready_msg msgs[READ_BATCH];
	struct iovec iov[READ_BATCH];
	struct mmsghdr hdrs[READ_BATCH];

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
			if (hdrs[i].msg_len != sizeof(struct ss_ready_msg) || msgs[i].version != SS_PROTOCOL_VERSION ||
			    msgs[i].type != SS_MSG_READY || (hdrs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
				errno = EPROTO;
				return -1;
			}
			/* Each message says the whole state: the newest is all that counts. */
			state->messages++;
			state->waiting = msgs[i].waiting;
			state->taken = msgs[i].taken;
		}
		if (n < READ_BATCH)
			return 1; /* drained: no need to ask again */
	}
}

struct ss_worker_state ss_server_read_worker(int worker_fd)
{
	struct ss_worker_state state = {0};
	state.rc = read_worker(worker_fd, &state);
	return state;
}

int ss_server_pass_conn(int worker_fd, int conn_fd, struct ss_peer peer, int sends_ahead)
{
	struct ss_conn_msg msg = {.version = SS_PROTOCOL_VERSION,
	                          .type = sends_ahead ? SS_MSG_CONN_AHEAD : SS_MSG_CONN,
	                          .port = (uint16_t)peer.port};
	memcpy(msg.ip, peer.ip, SS_IP_MAX);
	msg.ip[SS_IP_MAX - 1] = '\0';
	if (ss_send_fd(worker_fd, &msg, sizeof(msg), conn_fd, MSG_DONTWAIT) != (ssize_t)sizeof(msg))
		return -1;
	ss_close(conn_fd);
	return 0;
}
