# echo_server.tcl: a prefork echo server built on socketserver.
#
#   tclsh examples/echo_server.tcl ?port? ?workers?
#
# Listens on 127.0.0.1 (port 0, the default, lets the kernel choose), forks `workers` TclX
# worker processes (default 3) and answers every line a client sends with
# "<worker pid> <line>", then closes the connection. It prints, one line each:
#
#   port N                 the port it listens on
#   workers PID PID ...    the workers it forked
#
# Reading standard input: a line "info" prints "info {...}", the server's
# `::socketserver::socket info` dict; end of file (or a line "exit") shuts down. SIGINT and
# SIGTERM shut down too. Shutting down kills the workers this script forked, by PID, waits
# for them, closes the server and exits. (So keep stdin open: `... < /dev/null` exits at once.)
#
# Try it: tclsh examples/echo_server.tcl 8888 3   then, elsewhere:   nc 127.0.0.1 8888
#
# With SOCKETSERVER_BUILD set (as `make demo` sets it) the package comes from that build
# directory; otherwise from wherever `make install` put it.

package require Tclx
if {[info exists env(SOCKETSERVER_BUILD)]} {
    # First in auto_path, so this build wins over an installed copy of the same version.
    set auto_path [linsert $auto_path 0 $env(SOCKETSERVER_BUILD)]
}
package require socketserver

lassign [concat $argv {0 3}] port nworkers
if {![string is integer -strict $port] || ![string is integer -strict $nworkers] || $nworkers < 1} {
    puts stderr "usage: tclsh [info script] ?port? ?workers?"
    exit 2
}
fconfigure stdout -buffering line

# ---- the worker side: everything a forked worker runs ------------------------------------

# Called as {*}handler chan ipaddr port when the server hands this worker a connection.
proc accept {chan ipaddr port} {
    fconfigure $chan -buffering line -blocking 0 -translation lf
    fileevent $chan readable [list echo $chan]
}

proc echo {chan} {
    if {[gets $chan line] >= 0} {
        puts $chan "[pid] $line"
    } elseif {![eof $chan]} {
        return ;# only part of a line so far: wait for the rest
    }
    close $chan
    # One `client` call, one connection: ask for the next one.
    ::socketserver::socket client accept
}

# A worker's background errors, and the server's: say which process, keep serving. A worker
# whose server has gone (SOCKETSERVER SERVERGONE) has nothing left to do: it exits.
proc bgerror {message} {
    global errorCode role
    puts stderr "echo_server: $role [pid]: $message ($errorCode)"
    if {$role eq "worker" && [lrange $errorCode 0 1] eq {SOCKETSERVER SERVERGONE}} {
        exit 0
    }
}

proc worker {} {
    set ::role worker
    # What the worker inherited from the server and must not act on.
    fileevent stdin readable {}
    signal default {SIGINT SIGTERM}
    if {[catch {::socketserver::socket client accept} message]} {
        puts stderr "echo_server: worker [pid]: $message"
        exit 1
    }
    vwait forever
    exit 0
}

# ---- the server side -----------------------------------------------------------------------

set role server
set port [::socketserver::socket server -myaddr 127.0.0.1 $port]

set workers {}
for {set i 0} {$i < $nworkers} {incr i} {
    set pid [fork]
    if {$pid == 0} {
        worker ;# never returns
    }
    lappend workers $pid
}

proc shutdown {why} {
    global workers port
    fileevent stdin readable {}
    puts stderr "echo_server: shutting down ($why)"
    foreach pid $workers { catch {kill SIGTERM $pid} }
    # Bounded: a worker that has not gone within 2 seconds is killed outright.
    set deadline [expr {[clock milliseconds] + 2000}]
    while {[llength $workers] && [clock milliseconds] < $deadline} {
        set left {}
        foreach pid $workers {
            if {[catch {wait -nohang $pid} status] || $status ne ""} { continue }
            lappend left $pid
        }
        set workers $left
        if {[llength $workers]} { after 20 }
    }
    foreach pid $workers { catch {kill SIGKILL $pid}; catch {wait $pid} }
    catch {::socketserver::socket close $port}
    exit 0
}

proc command {} {
    if {[gets stdin line] < 0} {
        if {[eof stdin]} { shutdown "end of standard input" }
        return
    }
    switch -- [string trim $line] {
        info    { puts [list info [::socketserver::socket info $::port]] }
        exit    { shutdown "asked to exit" }
        ""      {}
        default { puts stderr "echo_server: unknown command \"$line\" (try: info, exit)" }
    }
}

signal trap {SIGINT SIGTERM} {shutdown "signal %S"}
fileevent stdin readable command
puts "port $port"
puts "workers $workers"
vwait forever
