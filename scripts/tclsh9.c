/*
 * tclsh9.c: the Tcl 9 shell scripts/tcl9.sh builds, linked statically against Debian 13's
 * libtcl9.0.a. It is tclsh with three paths compiled in: its script library (TCL_LIBRARY,
 * unless set), the module directory that holds tcltest, and the package directory of Thread.
 * Children it starts inherit TCL_LIBRARY, so `exec [info nameofexecutable]` works too.
 */
#include <stdlib.h>
#include <tcl.h>

static int app_init(Tcl_Interp *interp)
{
	if (Tcl_Init(interp) != TCL_OK)
		return TCL_ERROR;
	return Tcl_Eval(interp, "::tcl::tm::path add [file join $tcl_library tcl9]\n"
	                        "lappend auto_path {" TCL9_PACKAGES "}");
}

int main(int argc, char **argv)
{
	setenv("TCL_LIBRARY", TCL9_LIBRARY, 0);
	Tcl_Main(argc, argv, app_init);
	return 0;
}
