/*
 * commands.c: the package's commands, created in every interpreter that loads it, a forked
 * worker's included.
 *
 *   ::socketserver::socket client|close|handoff|info|server ?arg ...?
 *   ::socketserver::pool create|info|names|reload|stop ?arg ...?
 *   ::socketserver::fork, ::socketserver::wait (fork.c)
 *
 * `socket client` is the worker side's own (client.c). Every other subcommand runs Go, so it
 * is the server side's (commands/socket.c, commands/pool.c), reached through the table the
 * server side registers when the package loads in a process that is not a forked child. In
 * a forked child those subcommands raise SOCKETSERVER FORKED here, and no server-side C runs.
 * (The errors and argument readers both sides use are errors.c's.)
 */
#include "worker.h"

#define USAGE "subcommand ?arg ...?"

/* In the order of SS_SOCKET_* and SS_POOL_* (worker.h). */
static const char *const socket_subcommands[] = {"client", "close", "handoff", "info", "server", NULL};
static const char *const pool_subcommands[] = {"create", "info", "names", "reload", "stop", NULL};

static const struct ss_server_side *registered_server_side;

void ss_register_server_side(const struct ss_server_side *server_side)
{
	registered_server_side = server_side;
}

const struct ss_server_side *ss_server_side(void)
{
	return ss_forked() ? NULL : registered_server_side;
}

/* Reads objv[1], one of the subcommands in names: *index says which. */
static int subcommand_of(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], const char *const names[], int *index)
{
	if (objc < 2) {
		Tcl_WrongNumArgs(interp, 1, objv, USAGE);
		return TCL_ERROR;
	}
	return Tcl_GetIndexFromObj(interp, objv[1], names, "subcommand", 0, index);
}

/* {SOCKETSERVER FORKED}: "command subcommand" is not available in a forked child. */
static int forked_error(Tcl_Interp *interp, const char *command, const char *subcommand)
{
	return ss_error(interp, "SOCKETSERVER FORKED", NULL,
	                "%s %s is not available in a forked worker: the server belongs to the process that "
	                "started it (a worker uses \"::socketserver::socket client\")",
	                command, subcommand);
}

static int socket_cmd(ClientData data, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	int index;
	(void)data;
	if (subcommand_of(interp, objc, objv, socket_subcommands, &index) != TCL_OK)
		return TCL_ERROR;
	if (index == SS_SOCKET_CLIENT)
		return ss_client_cmd(interp, objc, objv);
	const struct ss_server_side *server_side = ss_server_side();
	if (server_side == NULL)
		return forked_error(interp, "::socketserver::socket", socket_subcommands[index]);
	return server_side->socket(interp, index, objc, objv);
}

static int pool_cmd(ClientData data, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	int index;
	(void)data;
	if (subcommand_of(interp, objc, objv, pool_subcommands, &index) != TCL_OK)
		return TCL_ERROR;
	const struct ss_server_side *server_side = ss_server_side();
	if (server_side == NULL)
		return forked_error(interp, "::socketserver::pool", pool_subcommands[index]);
	return server_side->pool(interp, index, objc, objv);
}

int ss_worker_init(Tcl_Interp *interp)
{
	if (ss_worker_from_environment(interp) != TCL_OK)
		return TCL_ERROR;
	Tcl_CreateObjCommand(interp, "::socketserver::socket", socket_cmd, NULL, NULL);
	Tcl_CreateObjCommand(interp, "::socketserver::pool", pool_cmd, NULL, NULL);
	Tcl_CreateObjCommand(interp, "::socketserver::ClientPort", ss_client_port_cmd, NULL, NULL);
	ss_fork_init(interp);
	return TCL_OK;
}
