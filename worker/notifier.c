/*
 * notifier.c: a forked child gets epoll instances of its own.
 *
 * Tcl 9's notifier on Linux is epoll. An epoll instance is a kernel object that fork() shares
 * between parent and child, and Tcl 9 does nothing about it: a child that changes a file
 * handler it inherited (`fileevent stdin readable {}`) changes the parent's, and the parent's
 * next epoll_ctl fails and Tcl panics. Each thread's notifier also has an eventfd that other
 * threads write to wake it; a child would share that too and could swallow the parent's
 * wake-ups. Tcl 8.6's select notifier has no such object (it restarts itself in the child).
 *
 * So in the child, whichever fork made it, every epoll instance is replaced, under the same
 * descriptor number, by a new one with the same registrations (descriptor, events and data,
 * as /proc/self/fdinfo lists them), and every eventfd registered in one by a new eventfd.
 * The parent's objects are left as they were. The registrations are read before fork() (the
 * prepare handler, while the forking thread, whose notifier the child keeps, is in fork()):
 * read in the child, they would race with the parent, which goes on registering handlers
 * (data pointers that mean nothing in the child) in the instance they still share. Called
 * from the fork handler (atfork.c) with fork.c's lock held, in the child after the parent's
 * registrations were made inert (client.c); the child part makes only system calls.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "worker.h"

/* Descriptors below this are remembered once replaced (an eventfd in two epoll sets). */
#define REMEMBERED_FDS 8192

/* prefix followed by fd in decimal, into path (of at least 64 bytes); no stdio. */
static void proc_path(char *path, const char *prefix, int fd)
{
	char digits[16];
	size_t n = 0, len = strlen(prefix);
	memcpy(path, prefix, len);
	do {
		digits[n++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd > 0);
	for (size_t i = 0; i < n; i++)
		path[len + i] = digits[n - 1 - i];
	path[len + n] = '\0';
}

static int link_is(int fd, const char *target)
{
	char path[64], link[64];
	proc_path(path, "/proc/self/fd/", fd);
	ssize_t len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return 0;
	link[len] = '\0';
	return strcmp(link, target) == 0;
}

static void replace_eventfd(int fd, unsigned char *replaced)
{
	if (fd < REMEMBERED_FDS && (replaced[fd / 8] & (1u << (fd % 8))))
		return;
	int status = fcntl(fd, F_GETFL), descriptor = fcntl(fd, F_GETFD);
	int fresh = eventfd(0, (status >= 0 && (status & O_NONBLOCK)) ? EFD_NONBLOCK : 0);
	if (fresh < 0)
		return;
	dup3(fresh, fd, (descriptor >= 0 && (descriptor & FD_CLOEXEC)) ? O_CLOEXEC : 0);
	close(fresh);
	if (fd < REMEMBERED_FDS)
		replaced[fd / 8] |= (unsigned char)(1u << (fd % 8));
}

static const char *skip_to(const char *p, const char *end, const char *field)
{
	size_t n = strlen(field);
	for (; p + n <= end; p++)
		if (memcmp(p, field, n) == 0)
			return p + n;
	return NULL;
}

static const char *number(const char *p, const char *end, int base, uint64_t *value)
{
	while (p < end && *p == ' ')
		p++;
	*value = 0;
	for (; p < end; p++) {
		int digit;
		if (*p >= '0' && *p <= '9')
			digit = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			digit = *p - 'a' + 10;
		else
			break;
		*value = *value * (uint64_t)base + (uint64_t)digit;
	}
	return p;
}

#define MAX_EPOLLS 256
#define MAX_REGISTRATIONS 8192

/* Made by the prepare handler, used by the child's, closed by the parent's. The copies are
 * empty until the child: it registers each descriptor under its number as it is there (an
 * eventfd replaced, a worker's registration pair already made inert by client.c, a closed
 * one skipped). */
static struct {
	int original, copy;
} epolls[MAX_EPOLLS];
static int epoll_count;
static struct {
	int copy, fd;
	struct epoll_event event;
} registrations[MAX_REGISTRATIONS];
static int registration_count;

/* One "tfd: N events: HEX data: HEX ..." line of an epoll descriptor's fdinfo. */
static void note_registration(int copy, const char *line, const char *end)
{
	uint64_t tfd, events, data;
	const char *p = skip_to(line, end, "tfd:");
	if (p == NULL || registration_count == MAX_REGISTRATIONS)
		return;
	p = number(p, end, 10, &tfd);
	if ((p = skip_to(p, end, "events:")) == NULL)
		return;
	p = number(p, end, 16, &events);
	if ((p = skip_to(p, end, "data:")) == NULL)
		return;
	number(p, end, 16, &data);
	registrations[registration_count].copy = copy;
	registrations[registration_count].fd = (int)tfd;
	registrations[registration_count].event.events = (uint32_t)events;
	registrations[registration_count].event.data.u64 = data;
	registration_count++;
}

/* A new, empty epoll instance to stand for fd in the child; fd's registrations noted for it. */
static int prepare_copy(int fd)
{
	char path[64], buf[4096];
	proc_path(path, "/proc/self/fdinfo/", fd);

	int info = open(path, O_RDONLY | O_CLOEXEC);
	if (info < 0)
		return -1;
	int copy = epoll_create1(EPOLL_CLOEXEC);
	if (copy < 0) {
		close(info);
		return -1;
	}
	/* Line by line; a line cut at the end of the buffer is carried to the next read. */
	size_t have = 0;
	for (;;) {
		ssize_t got = read(info, buf + have, sizeof(buf) - have);
		if (got <= 0)
			break;
		have += (size_t)got;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf))) != NULL) {
			note_registration(copy, start, nl);
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
		if (have == sizeof(buf))
			have = 0; /* no fdinfo line is this long */
	}
	close(info);
	return copy;
}

/*
 * Descriptors kept in reserve, so that the copies can be made when the process has run out
 * (a child of a process out of descriptors shares its parent's notifier otherwise, and its
 * exit unregisters the parent's handlers): closed to make room before the copies, taken
 * again after the fork. With RESERVE slots, RESERVE - 1 epoll instances can be copied.
 */
#define RESERVE 4
static int reserve[RESERVE] = {-1, -1, -1, -1};

static void take_reserve(void)
{
	for (int i = 0; i < RESERVE; i++)
		if (reserve[i] < 0)
			reserve[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void free_reserve(void)
{
	for (int i = 0; i < RESERVE; i++) {
		if (reserve[i] >= 0)
			close(reserve[i]);
		reserve[i] = -1;
	}
}

void ss_epoll_fork_init(void) { take_reserve(); }

void ss_epoll_fork_prepare(void)
{
	char entries[4096];
	free_reserve();
	int found[MAX_EPOLLS], count = 0;
	epoll_count = registration_count = 0;
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	/* The epoll descriptors first: the copies made below would be listed too. */
	long got;
	while ((got = syscall(SYS_getdents64, dir, entries, sizeof(entries))) > 0) {
		for (long off = 0; off < got;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *entry = (void *)(entries + off);
			off += entry->reclen;
			if (entry->name[0] < '0' || entry->name[0] > '9')
				continue;
			int fd = 0;
			for (const char *c = entry->name; *c; c++)
				fd = fd * 10 + (*c - '0');
			if (fd != dir && count < MAX_EPOLLS && link_is(fd, "anon_inode:[eventpoll]"))
				found[count++] = fd;
		}
	}
	close(dir);
	for (int i = 0; i < count; i++) {
		int copy = prepare_copy(found[i]);
		if (copy >= 0) {
			epolls[epoll_count].original = found[i];
			epolls[epoll_count].copy = copy;
			epoll_count++;
		}
	}
}

void ss_epoll_fork_parent(void)
{
	for (int i = 0; i < epoll_count; i++)
		close(epolls[i].copy);
	epoll_count = registration_count = 0;
	take_reserve();
}

void ss_epoll_fork_child(void)
{
	unsigned char replaced[REMEMBERED_FDS / 8];
	memset(replaced, 0, sizeof(replaced));
	for (int i = 0; i < registration_count; i++) {
		if (link_is(registrations[i].fd, "anon_inode:[eventfd]"))
			replace_eventfd(registrations[i].fd, replaced);
		epoll_ctl(registrations[i].copy, EPOLL_CTL_ADD, registrations[i].fd, &registrations[i].event);
	}
	for (int i = 0; i < epoll_count; i++) {
		int descriptor = fcntl(epolls[i].original, F_GETFD);
		dup3(epolls[i].copy, epolls[i].original, (descriptor >= 0 && (descriptor & FD_CLOEXEC)) ? O_CLOEXEC : 0);
		close(epolls[i].copy);
	}
	epoll_count = registration_count = 0;
	take_reserve();
}
