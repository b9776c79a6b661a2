/*
 * client.c: `::socketserver::socket client ?-port port? handler`, the worker side.
 *
 * All of it is C and none of it calls Go: it runs in workers forked with TclX, where the Go
 * runtime cannot run. A worker (a process, or a thread with its own interpreter) registers
 * with the server the first time it asks for a connection on a port: it makes its own
 * SOCK_SEQPACKET pair and a lifeline and passes them to the server through the port's
 * registration pair (see protocol.h). A `client` call that finds no connection in the pair
 * sends READY, which says how many calls wait and how many connections it has taken, and
 * watches the pair with Tcl_CreateFileHandler while a call waits; the server sends exactly
 * the connections the calls lack, so no other worker wakes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"
#include "protocol.h"

/* One `client` call waiting for its connection. */
typedef struct Request {
	struct Request *next;
	Tcl_Interp *interp; /* preserved */
	Tcl_Obj *handler;   /* a list; the channel, address and port are appended */
} Request;

/* A connection that arrived when no live request was waiting (its interpreter was deleted). */
typedef struct Unclaimed {
	struct Unclaimed *next;
	int fd, port;
	char ip[SS_IP_MAX];
} Unclaimed;

/* This thread's registration with the server on one port. */
typedef struct WorkerConn {
	struct WorkerConn *next;
	int port;
	unsigned generation; /* of the server it registered with (see ss_ports_lookup) */
	Tcl_ThreadId thread;
	int inherited; /* set in a forked child: the registration is its parent's */
	int fd;        /* our end of our own pair */
	int lifeline;  /* the write end of our lifeline: the server knows we are gone when it closes */
	int watching;    /* the Tcl_CreateFileHandler mask: readable while outstanding > 0,
	                  * writable while a READY is unsent */
	int outstanding; /* `client` calls that no connection has answered yet */
	uint64_t taken;  /* connections taken from the pair */
	/* A READY is owed that the pair had no room for (the server is behind reading it): it is
	 * sent, with the state as it is then, once the pair is writable. */
	int ready_unsent;
	int taken_in_a_row; /* connections taken by `client` itself since the notifier's last */
	int sends_ahead;    /* the server said it may send connections before they are asked for */
	int handlers_running; /* handlers of this registration being called (they may nest) */
	int asked_in_handler; /* a `client` call in a running handler sent a READY */
	int discarded;        /* forgotten; freed once nothing holds it (Tcl_Preserve) */
	int gone;        /* the server closed our pair */
	Request *first, *last;
	Unclaimed *unclaimed;
	int unclaimed_count, reserved; /* reserved: unclaimed ones already promised to a request */
	/* A pool worker (started by exec, see ss_worker_from_environment) exits once the server
	 * has closed its pair and every connection it was handed is closed. */
	int pool;
	int open_channels; /* connections handed to handlers and not closed yet */
} WorkerConn;

/* Every registration in the process, for the fork handler; links edited under ss_lock. */
static WorkerConn *conns;
/* The write end of the pipe whose read end a forked child puts in place of its parent's
 * registrations (see ss_forget_parent_registrations). */
static int inert_writer = -1;

/* How many `client` calls of one thread may wait for a connection on one port at once. The
 * server keeps one place in line per call; past this, `client` fails (SOCKETSERVER TOOMANY). */
#define MAX_OUTSTANDING 1024

/* How many connections in a row a `client` call may take straight from the pair (one the
 * server sent ahead, with -queue n) and hand over through Tcl's event queue, skipping the
 * notifier; after that one goes through the notifier, so that other events get their turn. */
#define MAX_TAKEN_AT_ONCE 16

static void free_request(Request *req)
{
	Tcl_DecrRefCount(req->handler);
	Tcl_Release(req->interp);
	ckfree((char *)req);
}

static void unlink_conn(WorkerConn *c)
{
	ss_lock();
	for (WorkerConn **p = &conns; *p != NULL; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	ss_unlock();
}

static void stop_watching(WorkerConn *c)
{
	if (c->watching) {
		Tcl_DeleteFileHandler(c->fd);
		c->watching = 0;
	}
}

static void pair_event(ClientData data, int mask);

/* Watches the pair for what the registration waits for: connections, and room to send. */
static void update_watching(WorkerConn *c)
{
	int mask = (c->outstanding > 0 ? TCL_READABLE : 0) |
	           (c->ready_unsent ? TCL_WRITABLE : 0);
	if (mask == c->watching)
		return;
	if (mask == 0) {
		stop_watching(c);
		return;
	}
	Tcl_CreateFileHandler(c->fd, mask, pair_event, c);
	c->watching = mask;
}

static int would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

/* Sends the READY owed, if any. Returns 0, or -1 with errno set (but never EAGAIN: a READY
 * that does not fit waits for the pair to have room). */
static int send_ready(WorkerConn *c)
{
	if (c->ready_unsent && ss_worker_ready(c->fd, (uint32_t)c->outstanding, c->taken) != 0)
		return would_block(errno) ? 0 : -1;
	c->ready_unsent = 0;
	return 0;
}

/* Tells the server how many calls wait and how many connections were taken: a READY now, or
 * as soon as the pair has room (the server reads them as they come, so it is full only
 * after a burst of `client` calls). */
static int tell(WorkerConn *c)
{
	c->ready_unsent = 1;
	int rc = send_ready(c);
	update_watching(c);
	return rc;
}

/* Asks the server for one more connection. */
static int ask(WorkerConn *c)
{
	c->outstanding++;
	int rc = tell(c);
	if (rc != 0) {
		c->outstanding--;
		c->ready_unsent = 0;
		update_watching(c);
	}
	return rc;
}

static void deliver_unclaimed(ClientData data);

/* A connection `client` took from the pair, handed over from Tcl's event queue. */
typedef struct TakenEvent {
	Tcl_Event header;
	WorkerConn *c;
} TakenEvent;

static int taken_event_of(Tcl_Event *ev, ClientData data)
{
	return ev->proc != NULL && ((TakenEvent *)ev)->c == data;
}

/* Forgets a registration: one inherited from the parent, or with a server since closed. */
static void discard_conn(WorkerConn *c)
{
	unlink_conn(c);
	stop_watching(c);
	Tcl_CancelIdleCall(deliver_unclaimed, c);
	Tcl_DeleteEvents(taken_event_of, c);
	if (c->fd >= 0)
		close(c->fd);
	if (c->lifeline >= 0)
		close(c->lifeline);
	while (c->first != NULL) {
		Request *req = c->first;
		c->first = req->next;
		free_request(req);
	}
	while (c->unclaimed != NULL) {
		Unclaimed *u = c->unclaimed;
		c->unclaimed = u->next;
		/* Only reached for a parent's registration (a copy), or a closed server's. */
		close(u->fd);
		ckfree((char *)u);
	}
	c->discarded = 1;
	Tcl_EventuallyFree(c, TCL_DYNAMIC);
}

static void thread_exiting(ClientData data)
{
	(void)data;
	Tcl_ThreadId self = Tcl_GetCurrentThread();
	for (;;) {
		WorkerConn *mine = NULL;
		ss_lock();
		for (WorkerConn *c = conns; c != NULL && mine == NULL; c = c->next)
			if (c->thread == self)
				mine = c;
		ss_unlock();
		if (mine == NULL)
			return;
		discard_conn(mine);
	}
}

static WorkerConn *find_conn(int port)
{
	Tcl_ThreadId self = Tcl_GetCurrentThread();
	WorkerConn *found = NULL;
	ss_lock();
	for (WorkerConn *c = conns; c != NULL && found == NULL; c = c->next)
		if (c->port == port && c->thread == self)
			found = c;
	ss_unlock();
	return found;
}

static int peer_closed(int err)
{
	return err == EPIPE || err == ECONNRESET || err == ECONNREFUSED || err == ENOTCONN;
}

/* Makes fd this thread's registration with the server on port. */
static WorkerConn *add_conn(int port, unsigned generation, int fd, int lifeline, int pool)
{
	WorkerConn *c = (WorkerConn *)ckalloc(sizeof(WorkerConn));
	memset(c, 0, sizeof(*c));
	c->port = port;
	c->generation = generation;
	c->thread = Tcl_GetCurrentThread();
	c->fd = fd;
	c->lifeline = lifeline;
	c->pool = pool;
	ss_lock();
	c->next = conns;
	conns = c;
	ss_unlock();
	return c;
}

static WorkerConn *register_conn(Tcl_Interp *interp, int port, unsigned generation, int registration_fd)
{
	static Tcl_ThreadDataKey exit_handler_key;
	int *exit_handler_installed = Tcl_GetThreadData(&exit_handler_key, sizeof(int));
	int fd, lifeline;

	if (ss_worker_register(registration_fd, &fd, &lifeline) != 0) {
		if (peer_closed(errno))
			ss_server_gone_error(interp, port);
		else
			ss_posix_error(interp, errno, "couldn't register with the socketserver server");
		return NULL;
	}
	WorkerConn *c = add_conn(port, generation, fd, lifeline, 0);
	if (!*exit_handler_installed) {
		Tcl_CreateThreadExitHandler(thread_exiting, NULL);
		*exit_handler_installed = 1;
	}
	return c;
}

static void exit_pool_worker(ClientData data)
{
	(void)data;
	Tcl_Exit(0);
}

/* A retired pool worker leaves once it holds no connection. */
static void exit_if_retired_and_idle(WorkerConn *c)
{
	if (c->pool && c->gone && c->open_channels == 0)
		Tcl_DoWhenIdle(exit_pool_worker, NULL);
}

static void channel_closed(ClientData data)
{
	WorkerConn *c = data;
	c->open_channels--;
	if (!c->discarded)
		exit_if_retired_and_idle(c);
	Tcl_Release(c);
}

static void wait_briefly_for_answer(WorkerConn *c);

/* Calls the handler as {*}handler chan ipaddr port at global level, as Tcl's own accept
 * callback does; an error goes to bgerror and the worker carries on. As there (tclIOCmd.c,
 * AcceptCallbackProc), a handler that fails loses the channel: it is unregistered from the
 * interpreter, which closes it unless the handler handed it on (interp transfer or share)
 * or closed it already, so a failing handler leaks no descriptor and leaves no client
 * waiting. */
static void call_handler(WorkerConn *c, Request *req, int fd, const char *ip, int port)
{
	Tcl_Interp *interp = req->interp;
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0 && (flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	Tcl_Channel chan = Tcl_MakeTcpClientChannel(INT2PTR(fd));
	c->open_channels++;
	Tcl_Preserve(c); /* released by channel_closed */
	Tcl_CreateCloseHandler(chan, channel_closed, c);
	Tcl_RegisterChannel(interp, chan);
	/* Hold the channel while the handler runs, in case the handler closes it. */
	Tcl_RegisterChannel(NULL, chan);
	Tcl_Obj *cmd = Tcl_DuplicateObj(req->handler);
	Tcl_IncrRefCount(cmd);
	Tcl_ListObjAppendElement(NULL, cmd, Tcl_NewStringObj(Tcl_GetChannelName(chan), -1));
	Tcl_ListObjAppendElement(NULL, cmd, Tcl_NewStringObj(ip, -1));
	Tcl_ListObjAppendElement(NULL, cmd, Tcl_NewIntObj(port));
	Tcl_Preserve(c);
	c->handlers_running++;
	int code = Tcl_EvalObjEx(interp, cmd, TCL_EVAL_GLOBAL);
	c->handlers_running--;
	if (code != TCL_OK) {
		Tcl_AddErrorInfo(interp, "\n    (socketserver client handler)");
		Tcl_BackgroundException(interp, code);
		Tcl_UnregisterChannel(interp, chan);
	}
	Tcl_DecrRefCount(cmd);
	Tcl_UnregisterChannel(NULL, chan);
	free_request(req);
	if (!c->discarded && c->handlers_running == 0 && c->asked_in_handler) {
		c->asked_in_handler = 0;
		wait_briefly_for_answer(c);
	}
	Tcl_Release(c);
}

/* Takes the oldest request whose interpreter still exists. */
static Request *pop_live_request(WorkerConn *c)
{
	while (c->first != NULL) {
		Request *req = c->first;
		c->first = req->next;
		if (c->first == NULL)
			c->last = NULL;
		if (!Tcl_InterpDeleted(req->interp))
			return req;
		free_request(req);
	}
	return NULL;
}

/* Keeps a connection that no request is taking now, for the next `client` call. */
static void keep_unclaimed(WorkerConn *c, int fd, const char *ip, int port)
{
	Unclaimed *u = (Unclaimed *)ckalloc(sizeof(Unclaimed));
	u->fd = fd;
	u->port = port;
	memcpy(u->ip, ip, SS_IP_MAX);
	u->next = c->unclaimed;
	c->unclaimed = u;
	c->unclaimed_count++;
}

/* Gives a connection to the oldest live request, or keeps it for the next `client` call:
 * nothing accepted is dropped because an interpreter went away. */
static void deliver(WorkerConn *c, int fd, const char *ip, int port)
{
	Request *req = pop_live_request(c);
	if (req == NULL) {
		keep_unclaimed(c, fd, ip, port);
		return;
	}
	call_handler(c, req, fd, ip, port);
}

static void deliver_unclaimed(ClientData data)
{
	WorkerConn *c = data;
	Unclaimed *u = c->unclaimed;
	c->unclaimed = u->next;
	c->unclaimed_count--;
	c->reserved--;
	deliver(c, u->fd, u->ip, u->port);
	ckfree((char *)u);
}

static void server_gone(WorkerConn *c)
{
	stop_watching(c);
	c->outstanding = 0;
	c->ready_unsent = 0;
	close(c->fd);
	c->fd = -1;
	close(c->lifeline);
	c->lifeline = -1;
	c->gone = 1;
	if (c->pool) {
		/* Retired by its pool (or the server closed): not an error; leave when idle. */
		for (Request *req = pop_live_request(c); req != NULL; req = pop_live_request(c))
			free_request(req);
		exit_if_retired_and_idle(c);
		return;
	}
	for (Request *req = pop_live_request(c); req != NULL; req = pop_live_request(c)) {
		ss_server_gone_error(req->interp, c->port);
		ss_background_error(req->interp);
		free_request(req);
	}
}

static void conn_readable(WorkerConn *c)
{
	int fd, port;
	char ip[SS_IP_MAX];

	int got = ss_recv_conn(c->fd, &fd, ip, &port, &c->sends_ahead, 0);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got < 0 && errno == EPROTO) {
		/* Not the server going away: report it (if an interpreter is waiting) and carry on. */
		if (c->first != NULL) {
			ss_error(c->first->interp, "SOCKETSERVER PROTOCOL", Tcl_NewIntObj(c->port),
			         "socketserver port %d: malformed message from the server", c->port);
			ss_background_error(c->first->interp);
		}
		return;
	}
	if (got <= 0) {
		server_gone(c);
		return;
	}
	c->outstanding--;
	c->taken++;
	c->taken_in_a_row = 0;
	update_watching(c); /* no call waiting: what else is in the pair stays there */
	deliver(c, fd, ip, port);
}

static int taken_event(Tcl_Event *ev, int flags)
{
	if (!(flags & TCL_FILE_EVENTS))
		return 0;
	deliver_unclaimed(((TakenEvent *)ev)->c);
	return 1;
}

/*
 * With -queue n the server may send connections before they are asked for (see
 * dispatch.go): a `client` call with nothing else outstanding takes one at once, asking
 * nothing. If that leaves at most SS_REFILL_AT in the pair, a READY tells the server, which
 * sends more while this one is served. The handler is called from Tcl's event queue, before
 * the event loop would wait: no round trip through the notifier. Returns 1 if it took one.
 */
/* Keeps a connection `client` took from the pair itself for the next request, and queues
 * the event that hands it over. */
static void hand_over_from_event_queue(WorkerConn *c, int fd, const char *ip, int port)
{
	c->taken++;
	c->taken_in_a_row++;
	keep_unclaimed(c, fd, ip, port);
	c->reserved++;
	TakenEvent *ev = (TakenEvent *)ckalloc(sizeof(TakenEvent));
	ev->header.proc = taken_event;
	ev->c = c;
	Tcl_QueueEvent(&ev->header, TCL_QUEUE_TAIL);
}

static int take_sent_ahead(WorkerConn *c)
{
	int fd, port;
	char ip[SS_IP_MAX];
	if (!c->sends_ahead || c->outstanding > 0 || c->taken_in_a_row >= MAX_TAKEN_AT_ONCE ||
	    ss_recv_conn(c->fd, &fd, ip, &port, &c->sends_ahead, 0) != 1)
		return 0;
	hand_over_from_event_queue(c, fd, ip, port);
	/* If the pair is closed, the writable handler finds out. */
	int unread = ss_worker_unread(c->fd);
	if (unread >= 0 && unread <= SS_REFILL_AT)
		tell(c);
	return 1;
}

/*
 * A worker that has asked for its next connection and closed every one it was handed has
 * nothing of ours left to do but wait for the server's answer, which usually comes within
 * microseconds: the server had a connection waiting in the listen queue. Waiting for it in
 * the kernel, briefly, costs one sleep; waiting in Tcl's event loop costs a trip through its
 * notifier (in Tcl 8.6 another thread: several context switches and system calls on every
 * connection). If the answer comes in time, the handler is called from Tcl's event queue, as
 * for a connection sent ahead; if not, the file handler takes it when it comes. A worker
 * with a connection still open (a fileevent on it, handed to another interpreter) is not
 * made to wait: it has work to get back to. A `client` call in a running handler waits once
 * that handler has returned (call_handler), when its connection is really closed.
 */
#define ANSWER_WAIT_NS 200000

static void wait_briefly_for_answer(WorkerConn *c)
{
	int fd, port;
	char ip[SS_IP_MAX];
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	struct timespec wait = {.tv_sec = 0, .tv_nsec = ANSWER_WAIT_NS};
	if (c->open_channels > 0 || c->outstanding != 1 || c->first == NULL || c->first != c->last ||
	    c->taken_in_a_row >= MAX_TAKEN_AT_ONCE ||
	    ppoll(&pfd, 1, &wait, NULL) != 1 || ss_recv_conn(c->fd, &fd, ip, &port, &c->sends_ahead, 0) != 1)
		return;
	c->outstanding--;
	update_watching(c);
	hand_over_from_event_queue(c, fd, ip, port);
}

static void pair_event(ClientData data, int mask)
{
	WorkerConn *c = data;
	if (mask & TCL_WRITABLE) {
		if (send_ready(c) != 0) {
			server_gone(c); /* only a closed pair fails here */
			return;
		}
		update_watching(c);
	}
	if ((mask & TCL_READABLE) && c->outstanding > 0)
		conn_readable(c);
}

static int parse_client_args(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], int *port, Tcl_Obj **handler)
{
	static const char *const options[] = {"-port", NULL};
	Tcl_Size length;

	*port = 0; /* no -port: the first server port */
	if (objc == 5) {
		int option;
		if (Tcl_GetIndexFromObj(interp, objv[2], options, "option", 0, &option) != TCL_OK)
			return TCL_ERROR;
		if (ss_port_arg(interp, objv[3], port) != TCL_OK)
			return TCL_ERROR;
	} else if (objc != 3) {
		Tcl_WrongNumArgs(interp, 2, objv, "?-port port? handler");
		return TCL_ERROR;
	}
	*handler = objv[objc - 1];
	if (Tcl_ListObjLength(interp, *handler, &length) != TCL_OK)
		return TCL_ERROR;
	if (length == 0)
		return ss_error(interp, "SOCKETSERVER BADVALUE handler {}", NULL, "handler must not be empty");
	return TCL_OK;
}

/* The server `client` asks for a connection: the one on the port asked, or for 0 the first
 * this process knows of. Returns its port, or 0 with the error set. */
static int find_server(Tcl_Interp *interp, int asked, int *registration_fd, unsigned *generation)
{
	int port = ss_ports_lookup(asked, registration_fd, generation);
	if (port == 0 && ss_ports_closed(asked))
		ss_server_gone_error(interp, asked);
	else if (port == 0)
		ss_no_server_error(interp, asked);
	return port;
}

int ss_client_port_cmd(ClientData data, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	int asked = 0, registration_fd;
	unsigned generation;
	(void)data;
	if (objc > 2) {
		Tcl_WrongNumArgs(interp, 1, objv, "?port?");
		return TCL_ERROR;
	}
	if (objc == 2 && ss_port_arg(interp, objv[1], &asked) != TCL_OK)
		return TCL_ERROR;
	int port = find_server(interp, asked, &registration_fd, &generation);
	if (port == 0)
		return TCL_ERROR;
	Tcl_SetObjResult(interp, Tcl_NewIntObj(port));
	return TCL_OK;
}

int ss_client_cmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	int asked, registration_fd;
	unsigned generation;
	Tcl_Obj *handler;

	if (parse_client_args(interp, objc, objv, &asked, &handler) != TCL_OK)
		return TCL_ERROR;
	int port = find_server(interp, asked, &registration_fd, &generation);
	if (port == 0)
		return TCL_ERROR;

	WorkerConn *c = find_conn(port);
	if (c != NULL && (c->inherited || c->generation != generation)) {
		discard_conn(c);
		c = NULL;
	}
	if (c == NULL && registration_fd < 0)
		return ss_error(interp, "SOCKETSERVER NOSERVER", NULL,
		                "this pool worker's connection to its server belongs to the thread that loaded socketserver");
	if (c == NULL && (c = register_conn(interp, port, generation, registration_fd)) == NULL)
		return TCL_ERROR;
	if (c->pool && c->gone) {
		exit_if_retired_and_idle(c); /* retired: it leaves when its connections are closed */
		return TCL_OK;
	}

	if (c->unclaimed_count > c->reserved) {
		/* A connection is already here: no READY; hand it over from the event loop. */
		c->reserved++;
		Tcl_DoWhenIdle(deliver_unclaimed, c);
	} else if (c->gone) {
		return ss_server_gone_error(interp, port);
	} else if (c->outstanding >= MAX_OUTSTANDING) {
		return ss_error(interp, "SOCKETSERVER TOOMANY", Tcl_NewIntObj(port),
		                "too many connection requests waiting on port %d: "
		                "at most %d \"client\" calls may wait at once", port, MAX_OUTSTANDING);
	} else if (take_sent_ahead(c)) {
		/* handed over from the event queue */
	} else if (ask(c) != 0) {
		int err = errno;
		if (!peer_closed(err))
			return ss_posix_error(interp, err, "couldn't ask the socketserver server for a connection");
		server_gone(c);
		return c->pool ? TCL_OK : ss_server_gone_error(interp, port);
	} else if (c->handlers_running > 0) {
		c->asked_in_handler = 1;
	}

	Request *req = (Request *)ckalloc(sizeof(Request));
	req->next = NULL;
	req->interp = interp;
	req->handler = handler;
	Tcl_Preserve(interp);
	Tcl_IncrRefCount(handler);
	if (c->last != NULL)
		c->last->next = req;
	else
		c->first = req;
	c->last = req;
	if (c->outstanding > 0 && c->handlers_running == 0)
		wait_briefly_for_answer(c);
	return TCL_OK;
}

/*
 * In a forked child, the parent's registrations are the parent's: the server sends them the
 * parent's connections. The child's copies of their descriptors are replaced with the read
 * end of a pipe nobody writes, so file handlers the child inherited never fire for them;
 * the child's next `client` call forgets them and registers afresh. Called by the fork
 * handler in the child (atfork.c); only async-signal-safe calls here.
 */
void ss_forget_parent_registrations(void)
{
	int inert[2];
	if (conns == NULL)
		return;
	for (WorkerConn *c = conns; c != NULL; c = c->next)
		c->inherited = 1;
	if (pipe2(inert, O_CLOEXEC) != 0)
		return;
	for (WorkerConn *c = conns; c != NULL; c = c->next) {
		if (c->fd >= 0)
			dup3(inert[0], c->fd, O_CLOEXEC);
		/* The parent's lifeline must end when the parent does, not when this child does. */
		if (c->lifeline >= 0)
			dup3(inert[0], c->lifeline, O_CLOEXEC);
	}
	close(inert[0]);
	if (inert_writer >= 0)
		close(inert_writer);
	inert_writer = inert[1];
}

/*
 * A pool worker is started by exec with its end of its own pair and its lifeline as
 * descriptors and SOCKETSERVER_WORKER=port:fd:lifeline in its environment (see pool/pool.go). It is registered with
 * the server already; this makes the registration this thread's and the port the one
 * `client` uses without -port. The variable is removed, so programs the worker starts do
 * not take it for theirs.
 */
int ss_worker_from_environment(Tcl_Interp *interp)
{
	const char *spec = getenv("SOCKETSERVER_WORKER");
	int port, fd, lifeline, type = 0, domain = 0;
	socklen_t len = sizeof(int);
	struct stat st;
	char trailing;

	if (spec == NULL)
		return TCL_OK;
	if (sscanf(spec, "%d:%d:%d%c", &port, &fd, &lifeline, &trailing) != 3 || port < 1 || port > SS_PORT_MAX ||
	    fd < 0 || lifeline < 0 || lifeline == fd)
		return ss_error(interp, "SOCKETSERVER BADVALUE SOCKETSERVER_WORKER", NULL,
		                "SOCKETSERVER_WORKER must be port:descriptor:lifeline, not \"%s\"", spec);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET ||
	    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX)
		return ss_error(interp, "SOCKETSERVER BADVALUE SOCKETSERVER_WORKER", NULL,
		                "descriptor %d named by SOCKETSERVER_WORKER is not a worker's pair", fd);
	if (fstat(lifeline, &st) != 0 || !S_ISFIFO(st.st_mode) || (fcntl(lifeline, F_GETFL) & O_ACCMODE) != O_WRONLY)
		return ss_error(interp, "SOCKETSERVER BADVALUE SOCKETSERVER_WORKER", NULL,
		                "descriptor %d named by SOCKETSERVER_WORKER is not a worker's lifeline", lifeline);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(lifeline, F_SETFD, FD_CLOEXEC);
	Tcl_UnsetVar2(interp, "env", "SOCKETSERVER_WORKER", TCL_GLOBAL_ONLY);
	unsetenv("SOCKETSERVER_WORKER");

	unsigned generation;
	int ignored;
	if (ss_ports_publish(port, -1) != 0 || ss_ports_lookup(port, &ignored, &generation) != port)
		return ss_error(interp, "POSIX ENOMEM {not enough memory}", NULL, "not enough memory");
	add_conn(port, generation, fd, lifeline, 1);
	return TCL_OK;
}
