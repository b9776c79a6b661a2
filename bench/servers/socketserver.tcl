# socketserver.tcl: a socketserver server with -workers TclX-forked workers (prefork).
#   tclsh socketserver.tcl -build DIR -workers N -handler event|immediate
#         -mode oneshot|persistent ?-options {SERVER-OPTIONS}? ?-original DIR? ?-watchdog ms?
# -options are more options of `::socketserver::socket server` (e.g. {-queue 8}). With
# -original DIR the package is the C original, socketservertcl 1.1 (`package require
# socketserver 1.1.3` from DIR), serving the same handlers (see bench::original_server).
# Prints "pids SERVER WORKER..." then "port N" once the workers serve; exits, killing the
# workers by PID, when stdin closes. See handlers.tcl for the handlers.
set here [file dirname [file normalize [info script]]]
source [file join $here common.tcl]
source [file join $here handlers.tcl]
bench::options {-build "" -workers 2 -handler event -mode oneshot -options {} -original ""
    -watchdog 600000} $argv

set original [expr {$opt(-original) ne ""}]
if {$original} {
    set port [bench::original_server $opt(-original)]
} else {
    set port [bench::server $opt(-build) $opt(-options)]
}
# Set before forking, so the workers inherit it too.
bench::watchdog $opt(-watchdog)
bench::workers $original $port $opt(-workers) $opt(-handler)_$opt(-mode)
# Only the server gets here: the children serve in their own vwait.
puts "pids [pid] $bench::children"
puts "port $port"
bench::until_stdin_closes
