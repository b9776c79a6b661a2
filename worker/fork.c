/*
 * fork.c: ::socketserver::fork and ::socketserver::wait, workers without TclX.
 *
 *   ::socketserver::fork                 -> 0 in the child, the child's pid in the parent
 *   ::socketserver::wait ?-nohang? ?pid? -> {pid EXIT code} or {pid SIG name}; with -nohang,
 *                                           "" while no such child has exited; without a
 *                                           pid, any child made here (none left: ECHILD)
 *
 * The shape is TclX's, so a socketservertcl 1.1 script needs only `package require Tclx`
 * replaced. Nothing here calls Go: the child of fork runs C only. fork() itself runs the
 * package's fork handler (atfork.c), as every other fork does (server-only descriptors
 * closed, Go's signal handlers undone, Go-backed commands raising SOCKETSERVER FORKED, the
 * parent's registrations made inert, a Tcl 9 notifier of its own), so a child made here is
 * the child TclX's fork makes.
 *
 * wait reaps only children made by this fork. The pools' workers are reaped by the Go
 * thread that started them (wait4 on their own pid); a wait(-1) here would steal their exit
 * status, so no call here ever waits for "any child". Each child is watched with a pidfd:
 * poll() on them blocks until one exits, with no signal handler and no polling loop. The
 * pidfds are registered as server-only descriptors, so a later child closes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker.h"

/* A child made by ::socketserver::fork and not yet reaped. */
typedef struct Child {
	pid_t pid;
	int pidfd;
} Child;

/* Every thread of the process forks into the same table; guarded by children_lock. */
static pthread_mutex_t children_lock = PTHREAD_MUTEX_INITIALIZER;
static Child *children;
static int child_count, child_capacity;

static int pidfd_open_cloexec(pid_t pid)
{
	/* PIDFD_NONBLOCK is not wanted: poll() is the only reader. pidfds are close-on-exec. */
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Records a new child; a pidfd that cannot be made or registered leaves it waitable by pid. */
static void remember(pid_t pid)
{
	int fd = pidfd_open_cloexec(pid);
	if (fd >= 0 && ss_adopt(fd) < 0) {
		close(fd);
		fd = -1;
	}
	pthread_mutex_lock(&children_lock);
	if (child_count == child_capacity) {
		int capacity = child_capacity ? 2 * child_capacity : 16;
		Child *grown = (Child *)Tcl_AttemptRealloc((char *)children, sizeof(Child) * (size_t)capacity);
		if (grown == NULL) {
			pthread_mutex_unlock(&children_lock);
			if (fd >= 0)
				ss_close(fd);
			return; /* still a child: wait with its pid reaps it */
		}
		children = grown;
		child_capacity = capacity;
	}
	children[child_count].pid = pid;
	children[child_count].pidfd = fd;
	child_count++;
	pthread_mutex_unlock(&children_lock);
}

/* Forgets child pid (after reaping it). */
static void forget(pid_t pid)
{
	pthread_mutex_lock(&children_lock);
	for (int i = 0; i < child_count; i++) {
		if (children[i].pid == pid) {
			if (children[i].pidfd >= 0)
				ss_close(children[i].pidfd);
			children[i] = children[--child_count];
			break;
		}
	}
	pthread_mutex_unlock(&children_lock);
}

static int is_ours(pid_t pid)
{
	int found = 0;
	pthread_mutex_lock(&children_lock);
	for (int i = 0; i < child_count && !found; i++)
		found = children[i].pid == pid;
	pthread_mutex_unlock(&children_lock);
	return found;
}

static int fork_cmd(ClientData data, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	(void)data;
	if (objc != 1) {
		Tcl_WrongNumArgs(interp, 1, objv, NULL);
		return TCL_ERROR;
	}
	pid_t pid = fork();
	if (pid < 0)
		return ss_posix_error(interp, errno, "fork failed");
	if (pid > 0)
		remember(pid);
	Tcl_SetObjResult(interp, Tcl_NewWideIntObj(pid));
	return TCL_OK;
}

/* {pid EXIT code} or {pid SIG name}, as TclX's wait reports them. */
static Tcl_Obj *status_list(pid_t pid, int status)
{
	Tcl_Obj *elements[3];
	elements[0] = Tcl_NewWideIntObj(pid);
	if (WIFEXITED(status)) {
		elements[1] = Tcl_NewStringObj("EXIT", -1);
		elements[2] = Tcl_NewIntObj(WEXITSTATUS(status));
	} else {
		elements[1] = Tcl_NewStringObj("SIG", -1);
		elements[2] = Tcl_NewStringObj(Tcl_SignalId(WTERMSIG(status)), -1);
	}
	return Tcl_NewListObj(3, elements);
}

/* Reaps pid if it has exited (or waits for it unless nohang). 1: reaped, 0: not yet, -1: error. */
static int reap(pid_t pid, int nohang, int *status)
{
	for (;;) {
		pid_t got = waitpid(pid, status, nohang ? WNOHANG : 0);
		if (got == pid) {
			forget(pid);
			return 1;
		}
		if (got == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* The first of our children found exited, reaped; with nohang, 0 if none has. */
static int reap_any(int nohang, pid_t *pid, int *status)
{
	for (;;) {
		pthread_mutex_lock(&children_lock);
		int count = child_count;
		struct pollfd *fds = (struct pollfd *)ckalloc(sizeof(struct pollfd) * (size_t)(count ? count : 1));
		pid_t *pids = (pid_t *)ckalloc(sizeof(pid_t) * (size_t)(count ? count : 1));
		int unwatched = 0;
		for (int i = 0; i < count; i++) {
			pids[i] = children[i].pid;
			fds[i].fd = children[i].pidfd;
			fds[i].events = POLLIN;
			fds[i].revents = 0;
			unwatched |= children[i].pidfd < 0;
		}
		pthread_mutex_unlock(&children_lock);

		int rc = 0;
		for (int i = 0; i < count && rc == 0; i++) {
			rc = reap(pids[i], 1, status);
			if (rc == 1)
				*pid = pids[i];
		}
		if (rc == 0 && !nohang && count > 0) {
			/* Block until a watched child exits; a child without a pidfd (the table could
			 * not get one) is looked at again every 100 ms. */
			if (poll(fds, (nfds_t)count, unwatched ? 100 : -1) < 0 && errno != EINTR)
				rc = -1;
			ckfree((char *)fds);
			ckfree((char *)pids);
			if (rc < 0)
				return -1;
			continue;
		}
		ckfree((char *)fds);
		ckfree((char *)pids);
		if (rc == 0 && count == 0) {
			errno = ECHILD;
			return -1;
		}
		return rc;
	}
}

static int wait_cmd(ClientData data, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	static const char *const options[] = {"-nohang", NULL};
	int nohang = 0, i = 1, status = 0;
	Tcl_WideInt wanted = -1;
	(void)data;

	for (; i < objc && Tcl_GetString(objv[i])[0] == '-'; i++) {
		int option;
		if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0, &option) != TCL_OK)
			return TCL_ERROR;
		nohang = 1;
	}
	if (objc - i > 1) {
		Tcl_WrongNumArgs(interp, 1, objv, "?-nohang? ?pid?");
		return TCL_ERROR;
	}
	if (i < objc) {
		if (ss_get_wide(interp, objv[i], &wanted) != TCL_OK)
			return TCL_ERROR;
		if (wanted <= 0 || !is_ours((pid_t)wanted))
			return ss_error(interp, "SOCKETSERVER NOTCHILD", NULL,
			                "process %s is not a child made by ::socketserver::fork, or was waited for already",
			                Tcl_GetString(objv[i]));
	}

	pid_t pid = (pid_t)wanted;
	int rc = wanted > 0 ? reap(pid, nohang, &status) : reap_any(nohang, &pid, &status);
	if (rc < 0) {
		if (errno == ECHILD && wanted < 0)
			return ss_error(interp, "POSIX ECHILD {no child processes}", NULL,
			                "no child made by ::socketserver::fork is left to wait for");
		return ss_posix_error(interp, errno, "wait failed");
	}
	if (rc == 1)
		Tcl_SetObjResult(interp, status_list(pid, status));
	return TCL_OK;
}

/* Whichever fork made it (this one, TclX's), a child starts with an empty table: the parent's
 * children are not its own, and their pidfds were closed with the other server-only
 * descriptors. The lock is held across fork() so the child never inherits it held. Parts
 * of the fork handler (atfork.c). */
void ss_children_fork_prepare(void) { pthread_mutex_lock(&children_lock); }
void ss_children_fork_parent(void) { pthread_mutex_unlock(&children_lock); }
void ss_children_fork_child(void)
{
	child_count = 0;
	pthread_mutex_unlock(&children_lock);
}

/* A forked child's own Tcl 9 notifier (notifier.c), from the first interpreter on. */
static pthread_once_t notifier_once = PTHREAD_ONCE_INIT;

void ss_fork_init(Tcl_Interp *interp)
{
	pthread_once(&notifier_once, ss_epoll_fork_init);
	Tcl_CreateObjCommand(interp, "::socketserver::fork", fork_cmd, NULL, NULL);
	Tcl_CreateObjCommand(interp, "::socketserver::wait", wait_cmd, NULL, NULL);
}
