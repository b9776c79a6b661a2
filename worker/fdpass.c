/* fdpass.c: sending and receiving descriptors with SCM_RIGHTS. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker.h"

/* The most descriptors one message of this project carries (a registration's). */
#define MAX_FDS 3

ssize_t ss_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags)
{
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(MAX_FDS * sizeof(int))];
	} control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds < 0 || nfds > MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (nfds > 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.bytes;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

ssize_t ss_send_fd(int sock, const void *buf, size_t len, int fd, int flags)
{
	return ss_send_fds(sock, buf, len, &fd, fd >= 0 ? 1 : 0, flags);
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

ssize_t ss_recv_fds(int sock, void *buf, size_t len, int *fds, int nfds, int flags)
{
	/* Room for one descriptor more, so that a message carrying too many is seen, not
	 * truncated. */
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE((MAX_FDS + 1) * sizeof(int))];
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
	                     .msg_control = control.bytes, .msg_controllen = CMSG_SPACE((nfds + 1) * sizeof(int))};
	ssize_t n;

	for (int i = 0; i < nfds; i++)
		fds[i] = -1;
	if (nfds < 1 || nfds > MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	size_t carried = cmsg == NULL ? 0 : (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	if ((msg.msg_flags & MSG_CTRUNC) && !(msg.msg_flags & MSG_TRUNC) && carried <= (size_t)nfds) {
		/* The control buffer has room for one more than asked: descriptors sent but fewer
		 * received than it holds means the kernel could not install them all here. With
		 * MSG_PEEK the message is still queued. */
		close_carried(&msg);
		errno = fd_shortage(sock);
		return -1;
	}
	if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
		close_carried(&msg);
		errno = EPROTO;
		return -1;
	}
	if (cmsg != NULL) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS || carried != (size_t)nfds ||
		    CMSG_NXTHDR(&msg, cmsg) != NULL) {
			close_carried(&msg);
			errno = EPROTO;
			return -1;
		}
		memcpy(fds, CMSG_DATA(cmsg), nfds * sizeof(int));
	}
	return n;
}

ssize_t ss_recv_fd(int sock, void *buf, size_t len, int *fd, int flags)
{
	return ss_recv_fds(sock, buf, len, fd, 1, flags);
}
