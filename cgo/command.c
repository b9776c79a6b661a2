/*
 * command.c: ::socketserver::socket, the command scripts call.
 *
 *   ::socketserver::socket server ?-backlog n? ?-myaddr addr? ?-queue n? ?-reuseport bool? port
 *   ::socketserver::socket client ?-port port? handler
 *   ::socketserver::socket info ?port?
 *   ::socketserver::socket close port
 *
 * Arguments are typed here with Tcl's own parsers (so messages and -errorcodes are Tcl's);
 * Go validates and does the server's work. A forked child gets an error instead of Go.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../forksafe/forksafe.h"
#include "_cgo_export.h"
#include "socketserver.h"

#define USAGE "subcommand ?arg ...?"
#define SERVER_USAGE "?-backlog n? ?-myaddr addr? ?-queue n? ?-reuseport bool? port"

static const char *const subcommands[] = {"client", "close", "info", "server", NULL};
enum { CMD_CLIENT, CMD_CLOSE, CMD_INFO, CMD_SERVER };

static int forked_error(Tcl_Interp *interp, const char *subcommand)
{
	return ss_error(interp, "SOCKETSERVER FORKED",
	                "::socketserver::socket %s is not available in a forked worker: the server belongs "
	                "to the process that started it (a worker uses \"client\")",
	                subcommand);
}

/* Raises what Go returned: a system error worded as Tcl's own socket -server words it, or
 * Go's message and -errorcode. Frees the strings. */
static int go_error(Tcl_Interp *interp, int errnum, char *message, char *errorcode)
{
	if (errnum != 0) {
		Tcl_SetErrno(errnum);
		Tcl_SetObjResult(interp, Tcl_ObjPrintf("couldn't open socket: %s", Tcl_PosixError(interp)));
	} else {
		Tcl_SetObjResult(interp, Tcl_NewStringObj(message, -1));
		Tcl_SetObjErrorCode(interp, Tcl_NewStringObj(errorcode, -1));
	}
	free(message);
	free(errorcode);
	return TCL_ERROR;
}

static int no_server_error(Tcl_Interp *interp, int port)
{
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("no socketserver server on port %d", port));
	Tcl_SetObjErrorCode(interp, Tcl_ObjPrintf("SOCKETSERVER NOSERVER %d", port));
	return TCL_ERROR;
}

static int server_cmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	static const char *const options[] = {"-backlog", "-myaddr", "-queue", "-reuseport", NULL};
	enum { OPT_BACKLOG, OPT_MYADDR, OPT_QUEUE, OPT_REUSEPORT };
	struct ss_server_options opts = {.backlog = -1, .myaddr = NULL};
	int backlog_given = 0;

	if (objc < 3 || (objc - 3) % 2 != 0) {
		Tcl_WrongNumArgs(interp, 2, objv, SERVER_USAGE);
		return TCL_ERROR;
	}
	for (int i = 2; i < objc - 1; i += 2) {
		int option, rc = TCL_OK;
		if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0, &option) != TCL_OK)
			return TCL_ERROR;
		switch (option) {
		case OPT_BACKLOG:
			rc = Tcl_GetIntFromObj(interp, objv[i + 1], &opts.backlog);
			backlog_given = 1;
			break;
		case OPT_MYADDR:
			opts.myaddr = Tcl_GetString(objv[i + 1]);
			break;
		case OPT_QUEUE:
			rc = Tcl_GetIntFromObj(interp, objv[i + 1], &opts.queue);
			break;
		case OPT_REUSEPORT:
			rc = Tcl_GetBooleanFromObj(interp, objv[i + 1], &opts.reuseport);
			break;
		}
		if (rc != TCL_OK)
			return TCL_ERROR;
	}
	if (Tcl_GetIntFromObj(interp, objv[objc - 1], &opts.port) != TCL_OK)
		return TCL_ERROR;

	ss_reporter *reporter = ss_reporter_for(interp);
	if (reporter == NULL)
		return ss_error(interp, "POSIX ENOMEM {not enough memory}", "couldn't open socket: not enough memory");
	int errnum = 0;
	char *message = NULL, *errorcode = NULL;
	int port = ssServerOpen(reporter, &opts, backlog_given, &errnum, &message, &errorcode);
	if (port < 0)
		return go_error(interp, errnum, message, errorcode);
	Tcl_SetObjResult(interp, Tcl_NewIntObj(port));
	return TCL_OK;
}

static int port_arg(Tcl_Interp *interp, Tcl_Obj *obj, int *port)
{
	if (Tcl_GetIntFromObj(interp, obj, port) != TCL_OK)
		return TCL_ERROR;
	if (*port < 1 || *port > 65535)
		return no_server_error(interp, *port);
	return TCL_OK;
}

static int close_cmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	int port;
	if (objc != 3) {
		Tcl_WrongNumArgs(interp, 2, objv, "port");
		return TCL_ERROR;
	}
	if (port_arg(interp, objv[2], &port) != TCL_OK)
		return TCL_ERROR;
	if (ssServerClose(port) != 0)
		return no_server_error(interp, port);
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
	int port;
	struct ss_info info;
	if (port_arg(interp, objv[2], &port) != TCL_OK)
		return TCL_ERROR;
	if (ssServerInfo(port, &info) != 0)
		return no_server_error(interp, port);
	Tcl_Obj *dict = Tcl_NewDictObj();
	dict_put(dict, "port", info.port);
	dict_put(dict, "backlog", info.backlog);
	dict_put(dict, "queue", info.queue);
	dict_put(dict, "workers", info.workers);
	dict_put(dict, "ready", info.ready);
	dict_put(dict, "accepted", (Tcl_WideInt)info.accepted);
	dict_put(dict, "dispatched", (Tcl_WideInt)info.dispatched);
	dict_put(dict, "queued", info.queued);
	Tcl_SetObjResult(interp, dict);
	return TCL_OK;
}

static int socket_cmd(ClientData data, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	int index;
	(void)data;
	if (objc < 2) {
		Tcl_WrongNumArgs(interp, 1, objv, USAGE);
		return TCL_ERROR;
	}
	if (Tcl_GetIndexFromObj(interp, objv[1], subcommands, "subcommand", 0, &index) != TCL_OK)
		return TCL_ERROR;
	if (index == CMD_CLIENT)
		return ss_client_cmd(interp, objc, objv);
	if (ss_forked())
		return forked_error(interp, subcommands[index]);
	switch (index) {
	case CMD_CLOSE:
		return close_cmd(interp, objc, objv);
	case CMD_INFO:
		return info_cmd(interp, objc, objv);
	default:
		return server_cmd(interp, objc, objv);
	}
}

static pthread_once_t process_init = PTHREAD_ONCE_INIT;

int SocketserverCmd_Init(Tcl_Interp *interp)
{
	/* Starting Go (or waiting for it to finish starting) only where Go may run. */
	if (!ss_forked())
		ssGoStart();
	pthread_once(&process_init, ss_worker_init_process);
	Tcl_CreateObjCommand(interp, "::socketserver::socket", socket_cmd, NULL, NULL);
	return TCL_OK;
}
