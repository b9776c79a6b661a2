/* init.c: the package's entry points, called by Tcl's `load`. */
#include "commands.h"
#include "version.h"

int Socketserver_Init(Tcl_Interp *interp)
{
	if (Tcl_InitStubs(interp, "8.6-", 0) == NULL)
		return TCL_ERROR;
	/* The server side starts Go, so not in a forked child; the worker side's commands (a
	 * forked child's too) reach it only where it was started. */
	if (!ss_forked())
		ss_server_init();
	if (ss_worker_init(interp) != TCL_OK)
		return TCL_ERROR;
	return Tcl_PkgProvideEx(interp, "socketserver", SOCKETSERVER_VERSION, NULL);
}

/* Refused: a safe interpreter must not listen on ports or take descriptors from others. */
int Socketserver_SafeInit(Tcl_Interp *interp)
{
	/* The error goes through Tcl's stubs table, which nothing has set up if this is the
	 * library's first load in the process. */
	if (Tcl_InitStubs(interp, "8.6-", 0) == NULL)
		return TCL_ERROR;
	return ss_error(interp, "SOCKETSERVER UNSAFE", NULL,
	                "socketserver cannot be loaded into a safe interpreter: it listens on TCP ports "
	                "and passes connections between processes");
}
