/*
 * registry.c: the process lock and the registry of server-only descriptors, which the fork
 * handler (atfork.c) takes and closes. See worker.h for why. Nothing here calls into Go.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker.h"

static pthread_mutex_t process_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t forked_child;

/* One bit per descriptor number; grown under the lock, read by the child handler. */
static unsigned char *registered;
static size_t registered_bytes;

int ss_forked(void) { return forked_child; }
void ss_lock(void) { pthread_mutex_lock(&process_lock); }
void ss_unlock(void) { pthread_mutex_unlock(&process_lock); }

/* Called with the lock held. Fails (ENOMEM) only if the bitmap cannot grow. */
static int mark(int fd)
{
	size_t byte = (size_t)fd / 8;
	if (byte >= registered_bytes) {
		size_t size = registered_bytes ? registered_bytes : 128;
		while (size <= byte)
			size *= 2;
		unsigned char *grown = realloc(registered, size);
		if (grown == NULL)
			return -1;
		memset(grown + registered_bytes, 0, size - registered_bytes);
		registered = grown;
		registered_bytes = size;
	}
	registered[byte] |= (unsigned char)(1u << (fd % 8));
	return 0;
}

static void unmark(int fd)
{
	if ((size_t)fd / 8 < registered_bytes)
		registered[fd / 8] &= (unsigned char)~(1u << (fd % 8));
}

/* Registers fd (already created under the lock); on failure closes it. Releases the lock. */
int ss_finish_create_all(int *fds, int n)
{
	int saved = errno, failed = 0;
	for (int i = 0; i < n; i++)
		failed |= fds[i] >= 0 && mark(fds[i]) != 0;
	if (failed) {
		for (int i = 0; i < n; i++) {
			if (fds[i] >= 0) {
				unmark(fds[i]);
				close(fds[i]);
				fds[i] = -1;
			}
		}
		saved = ENOMEM;
	}
	ss_unlock();
	errno = saved;
	return failed ? -1 : 0;
}

int ss_finish_create(int fd)
{
	ss_finish_create_all(&fd, 1);
	return fd;
}

static int is_marked(int fd)
{
	return (size_t)fd / 8 < registered_bytes && (registered[fd / 8] & (1u << (fd % 8)));
}

int ss_adopt(int fd)
{
	ss_lock();
	if (is_marked(fd)) {
		ss_unlock();
		errno = EEXIST;
		return -1;
	}
	return ss_finish_create(fd);
}

int ss_close(int fd)
{
	ss_lock();
	unmark(fd);
	int rc = close(fd);
	int saved = errno;
	ss_unlock();
	errno = saved;
	return rc;
}

/* The child's part of the fork handler (atfork.c). Only async-signal-safe calls. */
void ss_mark_forked(void) { forked_child = 1; }

/* Every server-only descriptor, so a dead server frees its port and its workers read
 * end-of-file. */
void ss_close_registered(void)
{
	for (size_t byte = 0; byte < registered_bytes; byte++) {
		for (int bit = 0; registered[byte] && bit < 8; bit++) {
			if (registered[byte] & (1u << bit)) {
				close((int)(byte * 8 + (size_t)bit));
				registered[byte] &= (unsigned char)~(1u << bit);
			}
		}
	}
}
