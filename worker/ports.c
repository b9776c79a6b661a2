/*
 * ports.c: the table a worker reads to find a server's registration pair. It is plain C
 * memory, so a forked worker inherits it and reads it without calling Go. It also remembers
 * which ports had a server that has closed, so that `client -port` there says the server
 * is gone (as a worker forked before the close finds), not that there never was one.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "worker.h"

struct published_port {
	int port;
	int registration_fd;
	unsigned generation;
};

static struct published_port *table;
static size_t used, capacity;
static unsigned last_generation;
/* One bit per port: a server of this process served it, and none does now. */
static unsigned char closed[(SS_PORT_MAX + CHAR_BIT) / CHAR_BIT];

static void set_closed(int port, int is_closed)
{
	if (port < 1 || port > SS_PORT_MAX)
		return;
	if (is_closed)
		closed[port / CHAR_BIT] |= (unsigned char)(1u << (port % CHAR_BIT));
	else
		closed[port / CHAR_BIT] &= (unsigned char)~(1u << (port % CHAR_BIT));
}

int ss_ports_publish(int port, int registration_fd)
{
	ss_lock();
	if (used == capacity) {
		size_t grown_capacity = capacity ? capacity * 2 : 8;
		struct published_port *grown = realloc(table, grown_capacity * sizeof(*table));
		if (grown == NULL) {
			ss_unlock();
			errno = ENOMEM;
			return -1;
		}
		table = grown;
		capacity = grown_capacity;
	}
	table[used++] = (struct published_port){port, registration_fd, ++last_generation};
	set_closed(port, 0);
	ss_unlock();
	return 0;
}

void ss_ports_withdraw(int port, int registration_fd)
{
	int still_served = 0;
	ss_lock();
	for (size_t i = 0; i < used; i++) {
		if (table[i].port == port && table[i].registration_fd == registration_fd) {
			for (size_t j = i + 1; j < used; j++)
				table[j - 1] = table[j];
			used--;
			break;
		}
	}
	for (size_t i = 0; i < used; i++)
		still_served |= table[i].port == port;
	if (!still_served)
		set_closed(port, 1);
	ss_unlock();
}

int ss_ports_closed(int port)
{
	int is_closed = 0;
	ss_lock();
	if (port >= 1 && port <= SS_PORT_MAX)
		is_closed = (closed[port / CHAR_BIT] >> (port % CHAR_BIT)) & 1;
	ss_unlock();
	return is_closed;
}

int ss_ports_lookup(int port, int *registration_fd, unsigned *generation)
{
	int found = 0;
	ss_lock();
	for (size_t i = 0; i < used; i++) {
		if (port == 0 || table[i].port == port) {
			found = table[i].port;
			*registration_fd = table[i].registration_fd;
			*generation = table[i].generation;
			break;
		}
	}
	ss_unlock();
	return found;
}
