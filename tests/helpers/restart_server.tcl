# restart_server.tcl: a server that adopts listening sockets it was given: the new server of
# a hot restart (started by ::socketserver::socket handoff), or one started by a systemd-style
# launcher (systemd-socket-activate).
#   tclsh restart_server.tcl ?-adopt systemd|fd? ?-port ports? ?-workers n? ?-watchdog ms?
# -adopt systemd: ::socketserver::socket server -systemd 1 ?p?; -adopt fd: server -fd 3 ?p?,
# once for each port of the list -port (once without a port if it is not given). Then it
# forks n workers per port with ::socketserver::prefork (handler: one line in, "PID line"
# out, close, ask again on the same port) and, once each has asked, prints one line on stdout:
#   ready PORTS PID LISTEN_PID LISTEN_FDS {WORKER PIDS} {INHERITED}
# where INHERITED lists, as fd target pairs, the sockets and anon_inode descriptors (epoll,
# eventfd...) the process had when it started (before loading socketserver);
# or, if adopting failed: failed PID {message} {errorcode}, and exits 1. It reads no stdin (it
# may share it with the server that started it); it exits after -watchdog ms (default
# 60000) or when killed, and its workers exit when it is gone.
# The sockets and other kernel objects (epoll, eventfd...) it was started with: fd target ...
# Only descriptors without close-on-exec can have come through exec: Tcl 9's notifier has an
# epoll instance and an eventfd of its own by now, both close-on-exec.
set inherited {}
foreach f [lsort -dictionary [glob -nocomplain /proc/self/fd/*]] {
    if {[catch {file readlink $f} target] || ![regexp {^(socket|anon_inode):} $target]} continue
    if {[catch {open /proc/self/fdinfo/[file tail $f]} info]} continue
    set closeOnExec [regexp -line {^flags:\s*0*([0-7]*[2367][0-7]{6})$} [read $info]]
    close $info
    if {!$closeOnExec} { lappend inherited [file tail $f] $target }
}
lappend auto_path $env(SOCKETSERVER_BUILD)
package require socketserver
source [file join [file dirname [info script]] fork.tcl] ;# before the handler is defined: TclX has an echo
fconfigure stdout -buffering line

array set opt {-adopt systemd -port "" -workers 2 -watchdog 60000}
array set opt $argv
proc bgerror {message} { puts [list bgerror [pid] $message $::errorCode] }

proc reply {myport chan ip port} {
    gets $chan line
    puts $chan "[pid] $line"
    close $chan
    ::socketserver::socket client -port $myport [list reply $myport]
}

set ports {}
foreach p [expr {$opt(-port) eq "" ? [list {}] : $opt(-port)}] {
    set call [list ::socketserver::socket server]
    switch -- $opt(-adopt) {
        systemd { lappend call -systemd 1 }
        fd { lappend call -fd 3 }
        default { error "bad -adopt $opt(-adopt)" }
    }
    if {$p ne ""} { lappend call $p }
    if {[catch $call port options]} {
        puts [list failed [pid] $port [dict get $options -errorcode]]
        exit 1
    }
    lappend ports $port
}
set workers {}
foreach port $ports {
    lappend workers {*}[::socketserver::prefork $opt(-workers) [list reply $port] -port $port]
}
# "ready" once every worker has asked for its first connection: forked workers register on
# their own, after prefork returns. (Each first request is waiting, or was answered.)
set deadline [expr {[clock milliseconds] + 10000}]
foreach port $ports {
    while {[dict get [set info [::socketserver::socket info $port]] workers] < $opt(-workers) ||
           [dict get $info ready] + [dict get $info accepted] < $opt(-workers)} {
        if {[clock milliseconds] > $deadline} {
            puts [list failed [pid] "the workers of port $port did not ask within 10 s: $info" {}]
            exit 1
        }
        after 10
    }
}
set port $ports
foreach var {LISTEN_PID LISTEN_FDS} {
    set $var [expr {[info exists env($var)] ? $env($var) : "-"}]
}
puts [list ready $port [pid] $LISTEN_PID $LISTEN_FDS $workers $inherited]
after $opt(-watchdog) {
    foreach w $::workers { catch {kill KILL $w} }
    exit 2
}
vwait forever
