# pool_server.tcl: a server whose workers are a ::socketserver::pool of exec'd processes,
# each running examples/pool_worker.tcl.
#
#   tclsh examples/pool_server.tcl ?port? ?workers?
#
# Listens on 127.0.0.1:port (port 0, the default, lets the kernel choose) and starts
# `workers` workers (default 3). Started by systemd socket activation (LISTEN_FDS and
# LISTEN_PID set, as examples/socketserver.service does), it adopts the socket systemd
# passed instead, with `server -systemd 1`, and the port argument is ignored. It prints, one
# line each:
#
#   port N          the port it serves
#   pool NAME       the pool
#
# SIGHUP reloads the pool: each worker is replaced by a fresh one running the script as it
# is now on disk, one at a time, each new one ready before the old one retires. SIGTERM,
# SIGINT, end of standard input, or a line "exit" stop it gracefully: the server closes,
# the workers finish the connections they hold (for at most -stoptimeout, 10 s), and it
# exits. A line "info" prints the server's and the pool's info dicts; "reload" reloads.
# Standard input is not read when it is /dev/null (as under systemd).
#
# With SOCKETSERVER_BUILD set, the package comes from that build directory (the workers get
# the same one: the pool puts the directory the package was loaded from first in their
# TCLLIBPATH).

package require Tclx
if {[info exists env(SOCKETSERVER_BUILD)]} {
    set auto_path [linsert $auto_path 0 $env(SOCKETSERVER_BUILD)]
}
package require socketserver

lassign [concat $argv {0 3}] port nworkers
if {![string is integer -strict $port] || ![string is integer -strict $nworkers] || $nworkers < 1} {
    puts stderr "usage: tclsh [info script] ?port? ?workers?"
    exit 2
}
fconfigure stdout -buffering line
set here [file dirname [file normalize [info script]]]

# Background errors of the server and the pool: accept failures (SOCKETSERVER ACCEPT),
# PROXY rejects, a worker crash loop (SOCKETSERVER POOL CRASHLOOP), a reload that stopped.
proc bgerror {message} {
    puts stderr "pool_server: $message ($::errorCode)"
}

if {[info exists env(LISTEN_FDS)]} {
    set port [::socketserver::socket server -systemd 1]
    # Adopted: the variables described this process only; don't pass them to the workers.
    unset -nocomplain env(LISTEN_FDS) env(LISTEN_PID) env(LISTEN_FDNAMES)
} else {
    set port [::socketserver::socket server -myaddr 127.0.0.1 $port]
}
set pool [::socketserver::pool create -port $port -workers $nworkers \
              -script [file join $here pool_worker.tcl]]

proc reload {why} {
    puts stderr "pool_server: reloading $::pool ($why)"
    ::socketserver::pool reload $::pool
}

proc shutdown {why} {
    global port pool
    fileevent stdin readable {}
    puts stderr "pool_server: shutting down ($why)"
    # Close the server first: no new connection is accepted, and each worker is told to go
    # once its connection is closed. Closing the server ends its pools; `pool stop` waits
    # for the workers (or finds the pool already gone, its workers with it).
    ::socketserver::socket close $port
    catch {::socketserver::pool stop $pool}
    exit 0
}

proc command {} {
    if {[gets stdin line] < 0} {
        if {[eof stdin]} { shutdown "end of standard input" }
        return
    }
    switch -- [string trim $line] {
        info {
            puts [list info [::socketserver::socket info $::port]]
            puts [list pool [::socketserver::pool info $::pool]]
        }
        reload  { reload "asked to" }
        exit    { shutdown "asked to exit" }
        ""      {}
        default { puts stderr "pool_server: unknown command \"$line\" (try: info, reload, exit)" }
    }
}

signal trap SIGHUP {reload "signal %S"}
signal trap {SIGINT SIGTERM} {shutdown "signal %S"}
if {[catch {file readlink /proc/self/fd/0} stdinPath] || $stdinPath ne "/dev/null"} {
    fileevent stdin readable command
}
puts "port $port"
puts "pool $pool"
vwait forever
