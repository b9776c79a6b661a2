# socketserver.tcl: the Tcl-level part of the socketserver package, sourced by pkgIndex.tcl
# after the library is loaded.

namespace eval ::socketserver {
    namespace export socket pool prefork
}

# ::socketserver::prefork count handler ?-port port?
#
# The usual way to start workers for a server this process opened: forks count workers
# with TclX, each asking for a connection with `::socketserver::socket client` and serving
# until its server is gone, when it exits quietly instead of reporting SERVERGONE and
# lingering. The handler asks for the next connection itself, as with `client`. A worker
# starts without the server's `after` timers, which a plain fork would run in every worker
# too. Returns the workers' process ids, for the caller to wait for or kill.
proc ::socketserver::prefork {count handler args} {
    if {![string is integer -strict $count] || $count < 1} {
        return -code error -errorcode [list SOCKETSERVER BADVALUE count $count] \
            "bad count \"$count\": must be a positive integer"
    }
    if {[llength $args] ni {0 2} || ([llength $args] == 2 && [lindex $args 0] ne "-port")} {
        return -code error -errorcode {TCL WRONGARGS} \
            {wrong # args: should be "::socketserver::prefork count handler ?-port port?"}
    }
    # Check the call here, in the server, rather than once in every child.
    if {![llength [socket info]]} {
        return -code error -errorcode {SOCKETSERVER NOSERVER} \
            {no socketserver server: call "::socketserver::socket server" first}
    }
    set port [expr {[llength $args] ? [lindex $args 1] : [lindex [socket info] 0]}]
    if {$port ni [socket info]} {
        return -code error -errorcode [list SOCKETSERVER NOSERVER $port] \
            "no socketserver server on port $port"
    }
    package require Tclx
    set pids {}
    for {set i 0} {$i < $count} {incr i} {
        set pid [fork]
        if {$pid == 0} {
            foreach timer [after info] { after cancel $timer }
            interp bgerror {} [list ::socketserver::WorkerError [interp bgerror {}]]
            socket client -port $port $handler
            vwait ::socketserver::forever
        }
        lappend pids $pid
    }
    return $pids
}

# A forked worker's background error handler: a worker whose server is gone exits; any
# other error goes to the handler the worker had.
proc ::socketserver::WorkerError {previous message options} {
    if {[lrange [dict get $options -errorcode] 0 1] eq {SOCKETSERVER SERVERGONE}} {
        exit 0
    }
    tailcall {*}$previous $message $options
}
