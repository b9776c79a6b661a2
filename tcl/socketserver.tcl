# socketserver.tcl: the Tcl-level part of the socketserver package.
namespace eval ::socketserver {
    namespace export socket
}
