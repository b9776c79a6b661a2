/*
 * descriptors.c: the descriptors the server creates (listeners, accepted connections, epoll,
 * eventfd, the server's ends of the pairs, lifelines): each created under the process lock
 * and registered with the worker side's registry (worker/registry.c), so that a forked child
 * closes it. Only the server process calls these.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handover.h"

int ss_socket(int domain, int type, int protocol)
{
	ss_lock();
	return ss_finish_create(socket(domain, type | SOCK_CLOEXEC, protocol));
}

struct ss_accepted ss_accept(int listenfd)
{
	struct ss_accepted a;
	socklen_t length = sizeof(a.peer);
	ss_lock();
	a.fd = ss_finish_create(accept4(listenfd, (struct sockaddr *)&a.peer, &length, SOCK_CLOEXEC));
	return a;
}

int ss_epoll(void)
{
	ss_lock();
	return ss_finish_create(epoll_create1(EPOLL_CLOEXEC));
}

int ss_eventfd(void)
{
	ss_lock();
	return ss_finish_create(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

int ss_socketpair(int sv[2], int register_both)
{
	ss_lock();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		int saved = errno;
		ss_unlock();
		errno = saved;
		return -1;
	}
	if (register_both)
		return ss_finish_create_all(sv, 2);
	if (ss_finish_create(sv[0]) < 0) {
		close(sv[1]);
		return -1;
	}
	return 0;
}

int ss_lifeline(int fds[2])
{
	ss_lock();
	if (pipe2(fds, O_CLOEXEC) != 0) {
		int saved = errno;
		ss_unlock();
		errno = saved;
		return -1;
	}
	return ss_finish_create_all(fds, 2);
}
