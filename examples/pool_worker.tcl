# pool_worker.tcl: the worker that examples/pool_server.tcl (and restart_server.tcl) run in
# a ::socketserver::pool. The pool starts it with exec, as
#
#   tclsh pool_worker.tcl ?greeting?
#
# with its end of its own socket pair as descriptor 3, SOCKETSERVER_WORKER=port:3 in its
# environment and the package's directory first in TCLLIBPATH; `package require
# socketserver` reads SOCKETSERVER_WORKER, so `client` needs no -port. It answers each line a
# client sends with "<greeting> <pid> <line>" and closes the connection.
#
# It does nothing about stopping: when its pool reloads, stops or replaces it, the server
# closes its pair and the worker exits by itself once the connection it holds is closed;
# if the server process dies, the kernel sends it SIGTERM (the pool asks for that).

package require socketserver

set greeting [expr {[llength $argv] ? [lindex $argv 0] : "hello from"}]

# Called as {*}handler chan ipaddr port when the server hands this worker a connection.
proc accept {chan ipaddr port} {
    fconfigure $chan -buffering line -blocking 0 -translation lf
    fileevent $chan readable [list echo $chan]
}

proc echo {chan} {
    if {[gets $chan line] >= 0} {
        puts $chan "$::greeting [pid] $line"
    } elseif {![eof $chan]} {
        return ;# only part of a line so far
    }
    close $chan
    ::socketserver::socket client accept ;# ready for the next connection
}

proc bgerror {message} {
    puts stderr "pool_worker [pid]: $message ($::errorCode)"
}

::socketserver::socket client accept
vwait forever
