/*
 * socket.c: the server's subcommands of ::socketserver::socket, the command scripts call.
 *
 *   ::socketserver::socket server ?-backlog n? ?-fd n? ?-myaddr addr? ?-proxyprotocol bool?
 *                                 ?-proxytimeout ms? ?-queue n? ?-reuseport bool? ?-systemd bool?
 *                                 ?-waitdata ms? ?port?      opens (or adopts) a listener
 *   ::socketserver::socket info ?port?                   the served ports, or one's counts
 *   ::socketserver::socket close port                    closes a server
 *   ::socketserver::socket handoff port command ?arg ...?  starts a program with the sockets
 *
 * Arguments are typed here with Tcl's own parsers (so messages and -errorcodes are Tcl's);
 * Go validates and does the server's work. The command itself, and its client subcommand,
 * are the worker side's (worker/commands.c, worker/client.c): it reaches these through the
 * table ss_server_init registers, and never in a forked child.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "_cgo_export.h"
#include "commands.h"

#define SERVER_USAGE                                                                              \
	"?-backlog n? ?-fd n? ?-myaddr addr? ?-proxyprotocol bool? ?-proxytimeout ms? ?-queue n? " \
	"?-reuseport bool? ?-systemd bool? ?-waitdata ms? port"

int ss_go_error(Tcl_Interp *interp, int errnum, char *message, char *errorcode)
{
	if (errnum != 0)
		ss_posix_error(interp, errnum, "couldn't open socket");
	else
		ss_error(interp, errorcode, NULL, "%s", message);
	free(message);
	free(errorcode);
	return TCL_ERROR;
}

/* Options come in pairs and the port last; an adopted socket (-fd, -systemd) brings its port. */
static int server_cmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	static const char *const options[] = {"-backlog",      "-fd",    "-myaddr",    "-proxyprotocol",
	                                      "-proxytimeout", "-queue", "-reuseport", "-systemd", "-waitdata", NULL};
	enum {
		OPT_BACKLOG, OPT_FD, OPT_MYADDR, OPT_PROXYPROTOCOL, OPT_PROXYTIMEOUT, OPT_QUEUE, OPT_REUSEPORT, OPT_SYSTEMD,
		OPT_WAITDATA
	};
	struct ss_server_options opts = {.fd = -1};
	Tcl_WideInt *wide = NULL;
	int have_port = (objc - 2) % 2;
	int options_end = objc - have_port;

	/* Without a port, only adopting makes sense: say so before reading the options. */
	int adopting = 0;
	for (int i = 2; i < options_end; i += 2) {
		const char *name = Tcl_GetString(objv[i]);
		adopting |= strcmp(name, "-fd") == 0 || strcmp(name, "-systemd") == 0;
	}
	if (!have_port && !adopting) {
		Tcl_WrongNumArgs(interp, 2, objv, SERVER_USAGE);
		return TCL_ERROR;
	}

	for (int i = 2; i < options_end; i += 2) {
		int option, rc = TCL_OK;
		if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0, &option) != TCL_OK)
			return TCL_ERROR;
		wide = NULL;
		switch (option) {
		case OPT_BACKLOG:
			wide = (Tcl_WideInt *)&opts.backlog;
			opts.backlog_given = 1;
			break;
		case OPT_FD:
			wide = (Tcl_WideInt *)&opts.fd;
			opts.fd_given = 1;
			break;
		case OPT_MYADDR:
			opts.myaddr = Tcl_GetString(objv[i + 1]);
			break;
		case OPT_PROXYPROTOCOL:
			rc = Tcl_GetBooleanFromObj(interp, objv[i + 1], &opts.proxyprotocol);
			break;
		case OPT_PROXYTIMEOUT:
			wide = (Tcl_WideInt *)&opts.proxytimeout_ms;
			opts.proxytimeout_given = 1;
			break;
		case OPT_QUEUE:
			wide = (Tcl_WideInt *)&opts.queue;
			break;
		case OPT_REUSEPORT:
			rc = Tcl_GetBooleanFromObj(interp, objv[i + 1], &opts.reuseport);
			break;
		case OPT_SYSTEMD:
			rc = Tcl_GetBooleanFromObj(interp, objv[i + 1], &opts.systemd);
			break;
		case OPT_WAITDATA:
			wide = (Tcl_WideInt *)&opts.waitdata_ms;
			break;
		}
		if (wide != NULL)
			rc = ss_get_wide(interp, objv[i + 1], wide);
		if (rc != TCL_OK)
			return TCL_ERROR;
	}
	if (!have_port && !opts.fd_given && !opts.systemd) {
		Tcl_WrongNumArgs(interp, 2, objv, SERVER_USAGE);
		return TCL_ERROR;
	}
	if (have_port && ss_get_wide(interp, objv[objc - 1], (Tcl_WideInt *)&opts.port) != TCL_OK) {
#if TCL_MAJOR_VERSION > 8
		/* As Tcl 9's socket -server words it, keeping the integer parser's -errorcode. */
		Tcl_SetObjResult(interp, Tcl_NewStringObj("couldn't open socket: invalid port number", -1));
#endif
		return TCL_ERROR;
	}
	if (opts.systemd) {
		opts.listen_pid = getenv("LISTEN_PID");
		opts.listen_fds = getenv("LISTEN_FDS");
	}

	ss_reporter *reporter = ss_reporter_for(interp);
	if (reporter == NULL)
		return ss_error(interp, "POSIX ENOMEM {not enough memory}", NULL, "couldn't open socket: not enough memory");
	int errnum = 0;
	char *message = NULL, *errorcode = NULL;
	int port = ssServerOpen(reporter, &opts, &errnum, &message, &errorcode);
	if (port < 0)
		return ss_go_error(interp, errnum, message, errorcode);
	Tcl_SetObjResult(interp, Tcl_NewIntObj(port));
	return TCL_OK;
}

static int close_cmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	int port = 0;
	if (objc != 3) {
		Tcl_WrongNumArgs(interp, 2, objv, "port");
		return TCL_ERROR;
	}
	if (ss_port_arg(interp, objv[2], &port) != TCL_OK)
		return TCL_ERROR;
	if (ssServerClose(port) != 0)
		return ss_no_server_error(interp, port);
	return TCL_OK;
}

static void dict_put(Tcl_Obj *dict, const char *key, Tcl_WideInt value)
{
	Tcl_DictObjPut(NULL, dict, Tcl_NewStringObj(key, -1), Tcl_NewWideIntObj(value));
}

static int info_cmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	if (objc > 3) {
		Tcl_WrongNumArgs(interp, 2, objv, "?port?");
		return TCL_ERROR;
	}
	if (objc == 2) {
		int count = ssServerPorts(NULL, 0);
		int *ports = (int *)ckalloc(sizeof(int) * (size_t)(count > 0 ? count : 1));
		count = ssServerPorts(ports, count);
		Tcl_Obj *list = Tcl_NewListObj(0, NULL);
		for (int i = 0; i < count; i++)
			Tcl_ListObjAppendElement(NULL, list, Tcl_NewIntObj(ports[i]));
		ckfree((char *)ports);
		Tcl_SetObjResult(interp, list);
		return TCL_OK;
	}
	int port = 0;
	struct ss_info info;
	if (ss_port_arg(interp, objv[2], &port) != TCL_OK)
		return TCL_ERROR;
	if (ssServerInfo(port, &info) != 0)
		return ss_no_server_error(interp, port);
	Tcl_Obj *dict = Tcl_NewDictObj();
	dict_put(dict, "port", info.port);
	dict_put(dict, "backlog", info.backlog);
	dict_put(dict, "queue", info.queue);
	dict_put(dict, "workers", info.workers);
	dict_put(dict, "ready", info.ready);
	dict_put(dict, "accepted", (Tcl_WideInt)info.accepted);
	dict_put(dict, "dispatched", (Tcl_WideInt)info.dispatched);
	dict_put(dict, "queued", info.queued);
	dict_put(dict, "rejected", (Tcl_WideInt)info.rejected);
	dict_put(dict, "silent", (Tcl_WideInt)info.silent);
	Tcl_SetObjResult(interp, dict);
	return TCL_OK;
}

/* handoff port command ?arg ...?: starts command with the port's listening sockets, the way
 * systemd passes them (descriptors 3..., LISTEN_FDS, LISTEN_PID), for a hot restart. */
static int handoff_cmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	int port = 0;
	if (objc < 4) {
		Tcl_WrongNumArgs(interp, 2, objv, "port command ?arg ...?");
		return TCL_ERROR;
	}
	if (ss_port_arg(interp, objv[2], &port) != TCL_OK)
		return TCL_ERROR;
	int argc = objc - 3;
	const char **argv = (const char **)ckalloc(sizeof(char *) * (size_t)argc);
	for (int i = 0; i < argc; i++)
		argv[i] = Tcl_GetString(objv[3 + i]);
	int errnum = 0;
	char *message = NULL, *errorcode = NULL;
	extern char **environ;
	int pid = ssHandoff(port, argc, (char **)argv, environ, &errnum, &message, &errorcode);
	ckfree((char *)argv);
	if (pid == 0)
		return ss_no_server_error(interp, port);
	if (pid < 0) {
		if (errnum != 0)
			return ss_posix_error(interp, errnum, "couldn't start \"%s\"", Tcl_GetString(objv[3]));
		return ss_go_error(interp, 0, message, errorcode);
	}
	Tcl_SetObjResult(interp, Tcl_NewIntObj(pid));
	return TCL_OK;
}

static int socket_subcommand(Tcl_Interp *interp, int index, int objc, Tcl_Obj *const objv[])
{
	switch (index) {
	case SS_SOCKET_CLOSE:
		return close_cmd(interp, objc, objv);
	case SS_SOCKET_HANDOFF:
		return handoff_cmd(interp, objc, objv);
	case SS_SOCKET_INFO:
		return info_cmd(interp, objc, objv);
	default:
		return server_cmd(interp, objc, objv);
	}
}

/* What the worker side's commands call for the subcommands that run Go. */
static const struct ss_server_side server_side = {
	.socket = socket_subcommand,
	.pool = ss_pool_subcommand,
	.close_servers_of = ssCloseServersOf,
};

static pthread_once_t registered = PTHREAD_ONCE_INIT;
static void register_server_side(void) { ss_register_server_side(&server_side); }

void ss_server_init(void)
{
	/* Starting Go (or waiting for it to finish starting): the caller is not a forked child. */
	ssGoStart();
	pthread_once(&registered, register_server_side);
}
