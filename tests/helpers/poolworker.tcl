# poolworker.tcl: a worker script for ::socketserver::pool (started by exec, not forked).
#   tclsh poolworker.tcl ?-handler echo|hold|peer? ?-early bool? ?-exit code? ?-delay ms?
# It prints "poolworker PID started" on its stdout (the server's), then serves:
#   echo: one line in, "PID line" out, close, ask for the next connection;
#   hold: answer every line with "PID line" until the client closes, then ask again (with
#         -early 1, ask again at once, so that the worker is ready while it holds one);
#   peer: reply [list PID ipaddr port] (what the handler was told), close, ask again.
# -exit code: exit at once with that code (a crashing worker); -delay ms: wait that long
# before the first `client` call (a worker slow to become ready). Background errors are
# printed as "bgerror PID {message} {errorcode}".
package require socketserver
fconfigure stdout -buffering line
array set opt {-handler echo -early 0 -exit "" -delay 0}
array set opt $argv
if {$opt(-exit) ne ""} { exit $opt(-exit) }
proc bgerror {message} { puts [list bgerror [pid] $message $::errorCode] }

proc echo {chan ip port} {
    gets $chan line
    puts $chan "[pid] $line"
    close $chan
    ::socketserver::socket client echo
}
proc hold {chan ip port} {
    if {$::opt(-early)} { ::socketserver::socket client hold }
    fconfigure $chan -buffering line
    fileevent $chan readable [list hold_read $chan]
}
proc hold_read {chan} {
    if {[gets $chan line] >= 0} { puts $chan "[pid] $line"; return }
    if {[eof $chan]} {
        close $chan
        if {!$::opt(-early)} { ::socketserver::socket client hold }
    }
}
proc peer {chan ip port} {
    gets $chan line
    puts $chan [list [pid] $ip $port]
    close $chan
    ::socketserver::socket client peer
}

puts "poolworker [pid] started"
after $opt(-delay) [list ::socketserver::socket client $opt(-handler)]
vwait forever
