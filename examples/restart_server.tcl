# restart_server.tcl: hot restart with ::socketserver::socket handoff. SIGHUP starts a fresh
# copy of this script, which takes over the listening socket while this one still accepts;
# once the new one's workers are ready, this one closes its port, lets its workers finish
# the connections they hold, and exits. No connection is refused or reset on the way.
#
#   tclsh examples/restart_server.tcl ?port? ?workers?
#
# Listens on 127.0.0.1:port (0, the default, lets the kernel choose) with a pool of
# `workers` (default 3) exec'd workers running examples/pool_worker.tcl, which answer each
# line with "server <server pid> <worker pid> <line>", so a client can tell which
# generation served it. When LISTEN_FDS and LISTEN_PID describe sockets passed to this
# process (by systemd socket activation, or by `handoff`), it adopts them with
# `server -systemd 1` instead, and the port argument is ignored. It prints, one line each:
#
#   port N     the port it serves
#   ready PID  this process (PID) serves, its workers are ready
#
# SIGHUP: hand off to a new copy of this script and drain. SIGTERM or SIGINT: stop
# gracefully (close the port, let the workers finish, exit). Standard input is not read,
# because every generation shares it.
#
# With SOCKETSERVER_BUILD set, the package comes from that build directory (the environment,
# and so SOCKETSERVER_BUILD, passes to the new copy and to the workers).

package require Tclx
if {[info exists env(SOCKETSERVER_BUILD)]} {
    set auto_path [linsert $auto_path 0 $env(SOCKETSERVER_BUILD)]
}
package require socketserver

# The third argument is for the handoff: the process id of the server handing off to us.
lassign [concat $argv [lrange {0 3 ""} [llength $argv] end]] port nworkers predecessor
if {[llength $argv] > 3 || ![string is integer -strict $port] || ![string is integer -strict $nworkers]
    || $nworkers < 1 || ($predecessor ne "" && ![string is integer -strict $predecessor])} {
    puts stderr "usage: tclsh [info script] ?port? ?workers?"
    exit 2
}
fconfigure stdout -buffering line
set script [file normalize [info script]]
set here [file dirname $script]

proc log {message} { puts stderr "restart_server [pid]: $message" }
proc bgerror {message} { log "$message ($::errorCode)" }

if {[info exists env(LISTEN_FDS)]} {
    set port [::socketserver::socket server -systemd 1]
    # Adopted: the variables described this process only; don't pass them on.
    unset -nocomplain env(LISTEN_FDS) env(LISTEN_PID) env(LISTEN_FDNAMES)
} else {
    set port [::socketserver::socket server -myaddr 127.0.0.1 $port]
}
set pool [::socketserver::pool create -port $port -workers $nworkers \
              -script [file join $here pool_worker.tcl] -args [list "server [pid]"]]

# Ready when every worker has asked for its first connection (at most 10 s).
set deadline [expr {[clock milliseconds] + 10000}]
while 1 {
    set states {}
    foreach w [dict get [::socketserver::pool info $pool] workers] {
        lappend states [dict get $w state]
    }
    if {[llength $states] == $nworkers && [lsort -unique $states] eq "running"} { break }
    if {[clock milliseconds] > $deadline} {
        log "workers not ready within 10 s: $states"
        exit 1
    }
    after 20
}
puts "port $port"
puts "ready [pid]"
if {$predecessor ne ""} {
    kill SIGUSR1 $predecessor ;# tell the old server we serve: it can go
}

# ---- hot restart -------------------------------------------------------------------------

set successor ""
proc handoff {} {
    global port nworkers script successor
    if {$successor ne ""} { return } ;# one at a time
    set successor [::socketserver::socket handoff $port \
                       [info nameofexecutable] $script $port $nworkers [pid]]
    log "handed port $port to process $successor"
    # Keep serving until it says it is ready (SIGUSR1), or give up on it after 30 s.
    set ::handoffTimer [after 30000 handoff_failed]
}

proc handoff_failed {} {
    global successor
    log "process $successor did not become ready: still serving"
    catch {kill SIGTERM $successor}
    set successor ""
}

proc drain {why} {
    global port pool
    catch {after cancel $::handoffTimer}
    log "closing port $port ($why)"
    # Stop accepting. After a handoff the listening socket stays open in the new server,
    # with its queue: connections not yet accepted are the new server's.
    ::socketserver::socket close $port
    # Closing the server retires the pool's workers: each exits once the connection it holds
    # is closed. `pool stop` waits for that (at most -stoptimeout, 10 s), or finds the pool
    # gone with its workers already.
    catch {::socketserver::pool stop $pool}
    log "workers finished; exiting"
    exit 0
}

signal trap SIGHUP handoff
signal trap SIGUSR1 {drain "process $successor serves now"}
signal trap {SIGINT SIGTERM} {drain "signal %S"}
vwait forever
