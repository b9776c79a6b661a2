# socketserver.tcl: the Tcl-level part of the socketserver package, sourced by pkgIndex.tcl
# after the library is loaded.

namespace eval ::socketserver {
    namespace export socket pool prefork fork wait
}

# ::socketserver::prefork count handler ?-port port?
#
# The usual way to start workers for a server this process opened: forks count workers
# (1 to 1024, as a pool's -workers), each asking for a connection with
# `::socketserver::socket client` and serving until its server is gone, when it exits
# quietly instead of reporting SERVERGONE and lingering. The handler asks for the next
# connection itself, as with `client`. A worker starts without the server's `after` timers,
# which a plain fork would run in every worker too. Forks with TclX's fork if the script has
# loaded TclX, else with ::socketserver::fork; either way only C runs in a worker until it
# evaluates Tcl. Returns the workers' process ids, for the caller to wait for or kill.
#
# Everything is checked before the first fork, and a worker never returns from prefork into
# the caller's script: if it cannot serve, it says why on stderr and exits with status 1
# (status 0 once its server is gone, or if the script sets ::socketserver::forever).
proc ::socketserver::prefork {count handler args} {
    if {![string is entier -strict $count] || $count < 1 || $count > 1024} {
        return -code error -errorcode [list SOCKETSERVER BADVALUE count $count] \
            "bad count \"$count\": must be an integer from 1 to 1024"
    }
    if {[llength $args] ni {0 2} || ([llength $args] == 2 && [lindex $args 0] ne "-port")} {
        return -code error -errorcode {TCL WRONGARGS} \
            {wrong # args: should be "::socketserver::prefork count handler ?-port port?"}
    }
    if {[llength $handler] == 0} {
        return -code error -errorcode {SOCKETSERVER BADVALUE handler {}} "handler must not be empty"
    }
    # Check the call here, in the server, rather than once in every child: ClientPort (C) says
    # which port `client` would use, or raises the error it would.
    set port [ClientPort {*}[lrange $args 1 1]]
    if {[package provide Tclx] ne ""} {
        lassign {::fork ::wait} fork wait
    } else {
        lassign {::socketserver::fork ::socketserver::wait} fork wait
    }
    set pids {}
    for {set i 0} {$i < $count} {incr i} {
        if {[catch {$fork} pid options]} {
            # Workers already forked are the caller's only if the call succeeds.
            foreach started $pids { catch {exec kill -KILL $started}; catch {$wait $started} }
            return -options $options "couldn't fork worker [expr {$i + 1}] of $count: $pid"
        }
        if {$pid == 0} {
            if {[catch {
                foreach timer [after info] { after cancel $timer }
                interp bgerror {} [list ::socketserver::WorkerError [interp bgerror {}]]
                socket client -port $port $handler
                vwait ::socketserver::forever
            } message]} {
                # One write, newline included (plain puts writes the newline apart), so that
                # the line cannot be split by the server or another worker writing meanwhile
                # to the same stderr.
                puts -nonewline stderr "socketserver prefork worker [pid] on port $port: $message\n"
                exit 1
            }
            exit 0
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
