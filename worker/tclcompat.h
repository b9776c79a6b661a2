/* tclcompat.h: what differs between the Tcl 8.6 and Tcl 9 C APIs, in one place. */
#ifndef SOCKETSERVER_TCLCOMPAT_H
#define SOCKETSERVER_TCLCOMPAT_H

#include <tcl.h>

#ifndef TCL_SIZE_MAX
typedef int Tcl_Size; /* Tcl 8.6: list lengths and counts are int */
#endif

#ifndef INT2PTR
#define INT2PTR(p) ((void *)(intptr_t)(p))
#endif

#endif
