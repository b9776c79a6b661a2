# socketserver.tcl: a socketserver server with -workers TclX-forked workers (prefork).
#   tclsh socketserver.tcl -build DIR -workers N -handler event|immediate
#         -mode oneshot|persistent ?-watchdog ms?
# Prints "pids SERVER WORKER..." then "port N" once every worker has registered; exits,
# killing the workers by PID, when stdin closes. See handlers.tcl for the handlers.
set here [file dirname [file normalize [info script]]]
source [file join $here common.tcl]
source [file join $here handlers.tcl]
bench::options {-build "" -workers 2 -handler event -mode oneshot -watchdog 600000} $argv

lappend auto_path $opt(-build)
package require socketserver
package require Tclx

set port [::socketserver::socket server -myaddr 127.0.0.1 0]
# Set before forking, so the workers inherit it too.
bench::watchdog $opt(-watchdog)
set bench::children [::socketserver::prefork $opt(-workers) $opt(-handler)_$opt(-mode)]
# Only the server gets here: prefork's children serve in its vwait.
bench::wait_for {[dict get [::socketserver::socket info $port] workers] >= $opt(-workers)} \
    30000 "$opt(-workers) workers to register"
puts "pids [pid] $bench::children"
puts "port $port"
bench::until_stdin_closes
