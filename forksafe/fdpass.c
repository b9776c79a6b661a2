/* fdpass.c: sending and receiving one descriptor with SCM_RIGHTS. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "forksafe.h"

ssize_t ss_send_fd(int sock, const void *buf, size_t len, int fd, int flags)
{
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.bytes;
		msg.msg_controllen = sizeof(control.bytes);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Closes every descriptor a message carried. */
static void close_carried(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

/* Why a descriptor could not be received: EMFILE or ENFILE, as a new descriptor would fail. */
static int fd_shortage(int sock)
{
	int probe = fcntl(sock, F_DUPFD_CLOEXEC, 0);
	if (probe < 0)
		return errno;
	close(probe); /* one was freed since: say what it most likely was */
	return EMFILE;
}

ssize_t ss_recv_fd(int sock, void *buf, size_t len, int *fd, int flags)
{
	/* Room for two descriptors, so that a message carrying too many is seen, not truncated. */
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(2 * sizeof(int))];
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
	                     .msg_control = control.bytes, .msg_controllen = sizeof(control.bytes)};
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((msg.msg_flags & MSG_CTRUNC) && !(msg.msg_flags & MSG_TRUNC) && CMSG_FIRSTHDR(&msg) == NULL) {
		/* The control buffer has room for two: a descriptor sent but none received means the
		 * kernel could not install it here. With MSG_PEEK the message is still queued. */
		errno = fd_shortage(sock);
		return -1;
	}
	if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
		close_carried(&msg);
		errno = EPROTO;
		return -1;
	}
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg != NULL) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len != CMSG_LEN(sizeof(int)) || CMSG_NXTHDR(&msg, cmsg) != NULL) {
			close_carried(&msg);
			errno = EPROTO;
			return -1;
		}
		memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	}
	return n;
}
