/*
 * atfork.c: the package's fork handler, the one pthread_atfork registration.
 *
 * Whichever fork makes a child (TclX's, ::socketserver::fork, any other in the process), the
 * child is made fit to be a worker here before any Tcl code of its own runs: it can no longer
 * run Go or anything of the server side, so everything below is C of the worker side, and
 * the child's part makes only async-signal-safe calls (system calls; unlocking the mutexes
 * its prepare part took).
 *
 * The locks are taken in one order, fork.c's table of children and then the process lock
 * (the order in which fork.c nests them when it forgets a child), and released in the
 * reverse. The parts keep the order they ran in when registry.c, client.c and fork.c each
 * registered a handler of their own.
 */
#include <pthread.h>

#include "worker.h"

static void prepare(void)
{
	/* 1. fork.c's table of children: no fork copies it half-edited, or its lock held. */
	ss_children_fork_prepare();
	/* 2. The epoll registrations of Tcl 9's notifiers, read while the forking thread is still
	 *    the parent's (notifier.c): the child gets copies. */
	ss_epoll_fork_prepare();
	/* 3. The process lock: no thread is creating or closing a server descriptor, editing the
	 *    port table or calling Tcl on behalf of a Go thread while the process is copied. */
	ss_lock();
}

static void parent(void)
{
	ss_unlock();
	ss_epoll_fork_parent(); /* the copies made for the child closed, the reserve taken again */
	ss_children_fork_parent();
}

static void child(void)
{
	/* 1. Forked: from here on the commands raise SOCKETSERVER FORKED instead of reaching the
	 *    server side (ss_server_side() is NULL), and no report from Go is raised. */
	ss_mark_forked();
	/* 2. Every server-only descriptor closed: the listeners, the server's ends of the pairs,
	 *    epoll and eventfds, adopted sockets, the Go runtime's own (registry.c). A dead server
	 *    then frees its port, and its workers read end-of-file. */
	ss_close_registered();
	/* 3. The signal dispositions Go replaced put back, where the script left them (signals.c). */
	ss_signals_restore_in_child();
	ss_unlock();
	/* 4. The parent's registrations with its servers made inert; the child's next `client`
	 *    call registers afresh (client.c). */
	ss_forget_parent_registrations();
	/* 5. Epoll instances and eventfds of its own, for Tcl 9's notifier, registered as the
	 *    parent's were but for the descriptors closed or made inert above (notifier.c). */
	ss_epoll_fork_child();
	/* 6. An empty table of children: the parent's are not the child's (fork.c). */
	ss_children_fork_child();
}

/*
 * Installed before the Go runtime starts (a constructor with a priority runs before the
 * unprioritised one that starts Go), so that this handler runs before any registered later.
 */
__attribute__((constructor(102))) static void install_fork_handler(void)
{
	pthread_atfork(prepare, parent, child);
}
