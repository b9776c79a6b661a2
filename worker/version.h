/* The one place the package version is written; the Makefile reads it for pkgIndex.tcl. */
#define SOCKETSERVER_VERSION "1.3.0"
