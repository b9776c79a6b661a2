/*
 * pool.c: ::socketserver::pool, worker processes started by exec and looked after by the
 * server (pool/pool.go).
 *
 *   ::socketserver::pool create ?-port port? -script file ?-workers n? ?-args list?
 *                               ?-maxconnections n? ?-stoptimeout ms?
 *   ::socketserver::pool info pool
 *   ::socketserver::pool reload pool
 *   ::socketserver::pool stop pool ?-timeout ms?
 *   ::socketserver::pool names
 *
 * Every subcommand is Go-backed: the command is the worker side's (worker/commands.c), which
 * calls ss_pool_subcommand through the server side's table, and in a forked worker raises
 * {SOCKETSERVER FORKED} instead.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "_cgo_export.h"
#include "commands.h"

#define CREATE_USAGE \
	"?-port port? -script file ?-workers n? ?-args list? ?-maxconnections n? ?-stoptimeout ms?"
#define DEFAULT_STOPTIMEOUT_MS 10000

/* The directory this library was loaded from: pool workers find the package there. */
static const char *library_dir(void)
{
	static char dir[4096];
	Dl_info info;
	if (dir[0] == 0 && dladdr((void *)ss_pool_subcommand, &info) && info.dli_fname != NULL) {
		char *path = realpath(info.dli_fname, NULL);
		if (path != NULL) {
			strncpy(dir, dirname(path), sizeof(dir) - 1);
			free(path);
		}
	}
	return dir;
}

static int create_cmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	static const char *const options[] = {"-args", "-maxconnections", "-port", "-script", "-stoptimeout", "-workers", NULL};
	enum { OPT_ARGS, OPT_MAXCONNECTIONS, OPT_PORT, OPT_SCRIPT, OPT_STOPTIMEOUT, OPT_WORKERS };
	struct ss_pool_options opts = {.workers = 1, .stoptimeout_ms = DEFAULT_STOPTIMEOUT_MS};
	Tcl_Obj *script = NULL, *args = NULL;

	if (objc % 2 != 0) {
		Tcl_WrongNumArgs(interp, 2, objv, CREATE_USAGE);
		return TCL_ERROR;
	}
	for (int i = 2; i < objc; i += 2) {
		int option, rc = TCL_OK;
		Tcl_WideInt *wide = NULL; /* the number the option sets, as server_cmd reads them */
		if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0, &option) != TCL_OK)
			return TCL_ERROR;
		switch (option) {
		case OPT_ARGS:
			args = objv[i + 1];
			break;
		case OPT_MAXCONNECTIONS:
			wide = (Tcl_WideInt *)&opts.maxconnections;
			break;
		case OPT_PORT:
			rc = ss_port_arg(interp, objv[i + 1], &opts.port);
			break;
		case OPT_SCRIPT:
			script = objv[i + 1];
			break;
		case OPT_STOPTIMEOUT:
			wide = (Tcl_WideInt *)&opts.stoptimeout_ms;
			break;
		case OPT_WORKERS:
			wide = (Tcl_WideInt *)&opts.workers;
			break;
		}
		if (wide != NULL)
			rc = ss_get_wide(interp, objv[i + 1], wide);
		if (rc != TCL_OK)
			return TCL_ERROR;
	}
	if (script == NULL)
		return ss_error(interp, "SOCKETSERVER BADVALUE -script", NULL, "missing -script: the worker script to run");
	Tcl_Size argc = 0;
	Tcl_Obj **argv_objs = NULL;
	if (args != NULL && Tcl_ListObjGetElements(interp, args, &argc, &argv_objs) != TCL_OK)
		return TCL_ERROR;
	Tcl_Obj *normalized = Tcl_FSGetNormalizedPath(interp, script);
	if (normalized == NULL)
		return TCL_ERROR;

	opts.executable = Tcl_GetNameOfExecutable();
	opts.script = Tcl_GetString(normalized);
	opts.library_dir = library_dir();
	opts.argc = (int)argc;
	opts.argv = (const char **)ckalloc(sizeof(char *) * (size_t)(argc > 0 ? argc : 1));
	for (Tcl_Size i = 0; i < argc; i++)
		opts.argv[i] = Tcl_GetString(argv_objs[i]);
	extern char **environ;
	opts.environ = environ;

	ss_reporter *reporter = ss_reporter_for(interp);
	int errnum = 0, created = -1;
	char *name = NULL, *message = NULL, *errorcode = NULL;
	if (reporter != NULL)
		created = ssPoolCreate(reporter, &opts, &name, &errnum, &message, &errorcode);
	ckfree((char *)opts.argv);
	if (reporter == NULL)
		return ss_error(interp, "POSIX ENOMEM {not enough memory}", NULL, "not enough memory");
	if (created == 0)
		return ss_no_server_error(interp, opts.port);
	if (created < 0)
		return ss_go_error(interp, errnum, message, errorcode);
	Tcl_SetObjResult(interp, Tcl_NewStringObj(name, -1));
	free(name);
	return TCL_OK;
}

static int no_pool_error(Tcl_Interp *interp, const char *name)
{
	return ss_error(interp, "SOCKETSERVER NOPOOL", Tcl_NewStringObj(name, -1), "no socketserver pool \"%s\"", name);
}

int ss_pool_subcommand(Tcl_Interp *interp, int index, int objc, Tcl_Obj *const objv[])
{
	if (index == SS_POOL_CREATE)
		return create_cmd(interp, objc, objv);
	if (index == SS_POOL_NAMES) {
		if (objc != 2) {
			Tcl_WrongNumArgs(interp, 2, objv, NULL);
			return TCL_ERROR;
		}
		char *names = ssPoolNames();
		Tcl_SetObjResult(interp, Tcl_NewStringObj(names, -1));
		free(names);
		return TCL_OK;
	}

	Tcl_WideInt timeout_ms = 0;
	int timeout_given = index == SS_POOL_STOP && objc == 5;
	if (timeout_given) {
		static const char *const stop_options[] = {"-timeout", NULL};
		int option;
		if (Tcl_GetIndexFromObj(interp, objv[3], stop_options, "option", 0, &option) != TCL_OK ||
		    ss_get_wide(interp, objv[4], &timeout_ms) != TCL_OK)
			return TCL_ERROR;
	} else if (objc != 3) {
		Tcl_WrongNumArgs(interp, 2, objv, index == SS_POOL_STOP ? "pool ?-timeout ms?" : "pool");
		return TCL_ERROR;
	}
	char *name = Tcl_GetString(objv[2]);
	switch (index) {
	case SS_POOL_INFO: {
		char *info = ssPoolInfo(name);
		if (info == NULL)
			return no_pool_error(interp, name);
		Tcl_SetObjResult(interp, Tcl_NewStringObj(info, -1));
		free(info);
		return TCL_OK;
	}
	case SS_POOL_RELOAD:
		return ssPoolReload(name) != 0 ? no_pool_error(interp, name) : TCL_OK;
	default: {
		char *message = NULL, *errorcode = NULL;
		int stopped = ssPoolStop(name, timeout_ms, timeout_given, &message, &errorcode);
		if (stopped < 0)
			return ss_go_error(interp, 0, message, errorcode);
		return stopped == 0 ? no_pool_error(interp, name) : TCL_OK;
	}
	}
}
