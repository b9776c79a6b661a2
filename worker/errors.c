/*
 * errors.c: the Tcl errors the C side raises. Every one is set by ss_error, so an -errorcode
 * is built one way only; the messages that several commands raise are made here once; and
 * so are the readers of numbers, whose errors these are.
 *
 * None of it calls Go: client.c, commands.c and fork.c use it in forked workers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "worker.h"

/* The message, printf-style (Tcl_ObjPrintf takes no va_list). */
static Tcl_Obj *new_message(const char *format, va_list args)
{
	va_list again;
	char small[256], *message = small;

	va_copy(again, args);
	int length = vsnprintf(small, sizeof(small), format, args);
	if (length >= (int)sizeof(small)) {
		char *large = malloc((size_t)length + 1);
		if (large != NULL) { /* else small holds the message cut short */
			vsnprintf(large, (size_t)length + 1, format, again);
			message = large;
		}
	}
	va_end(again);
	Tcl_Obj *obj = Tcl_NewStringObj(message, -1);
	if (message != small)
		free(message);
	return obj;
}

int ss_error(Tcl_Interp *interp, const char *code, Tcl_Obj *word, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	Tcl_SetObjResult(interp, new_message(format, args));
	va_end(args);

	Tcl_Obj *errorcode = Tcl_NewStringObj(code, -1);
	if (word != NULL && Tcl_ListObjAppendElement(NULL, errorcode, word) != TCL_OK) {
		Tcl_IncrRefCount(word); /* code is not a list (no caller's is): word is freed */
		Tcl_DecrRefCount(word);
	}
	Tcl_SetObjErrorCode(interp, errorcode);
	return TCL_ERROR;
}

int ss_posix_error(Tcl_Interp *interp, int err, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	Tcl_Obj *message = new_message(format, args);
	va_end(args);
	Tcl_SetErrno(err);
	Tcl_AppendStringsToObj(message, ": ", Tcl_PosixError(interp), (char *)NULL);
	Tcl_SetObjResult(interp, message);
	return TCL_ERROR;
}

void ss_background_error(Tcl_Interp *interp)
{
	Tcl_Preserve(interp);
	Tcl_AddErrorInfo(interp, "\n    (socketserver background error)");
	Tcl_BackgroundException(interp, TCL_ERROR);
	Tcl_Release(interp);
}

int ss_no_server_error(Tcl_Interp *interp, int port)
{
	if (port == 0)
		return ss_error(interp, "SOCKETSERVER NOSERVER", NULL,
		                "no socketserver server: call \"::socketserver::socket server\" before starting workers");
	return ss_error(interp, "SOCKETSERVER NOSERVER", Tcl_NewIntObj(port), "no socketserver server on port %d", port);
}

int ss_server_gone_error(Tcl_Interp *interp, int port)
{
	return ss_error(interp, "SOCKETSERVER SERVERGONE", Tcl_NewIntObj(port),
	                "socketserver server on port %d is gone: no more connections will come", port);
}

int ss_get_wide(Tcl_Interp *interp, Tcl_Obj *obj, Tcl_WideInt *wide)
{
	if (Tcl_GetWideIntFromObj(NULL, obj, wide) == TCL_OK)
		return TCL_OK;
	/* Not an integer: fail the way Tcl's own socket command does ({TCL VALUE INTEGER}). */
	int ignored;
	if (Tcl_GetIntFromObj(interp, obj, &ignored) == TCL_OK)
		Tcl_GetWideIntFromObj(interp, obj, wide); /* an integer, but too large even for 64 bits */
	return TCL_ERROR;
}

int ss_port_arg(Tcl_Interp *interp, Tcl_Obj *obj, int *port)
{
	Tcl_WideInt wide;
	if (ss_get_wide(interp, obj, &wide) != TCL_OK)
		return TCL_ERROR;
	/* The shape of every range error (server/options.go, Range), which Go cannot make here. */
	if (wide < 1 || wide > SS_PORT_MAX)
		return ss_error(interp, "SOCKETSERVER BADVALUE port", Tcl_NewWideIntObj(wide),
		                "bad port %lld: must be an integer from 1 to %d", (long long)wide, SS_PORT_MAX);
	*port = (int)wide;
	return TCL_OK;
}
