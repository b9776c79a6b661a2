# plain.tcl: the baseline, a single-process Tcl `socket -server` echo, event-driven.
#   tclsh plain.tcl -mode oneshot|persistent ?-watchdog ms?
# oneshot: read a line, reply "PID line", close. persistent: reply to every line until the
# client closes. Prints "pids PID" then "port N"; exits when stdin closes.
set here [file dirname [file normalize [info script]]]
source [file join $here common.tcl]
bench::options {-mode oneshot -watchdog 600000} $argv

proc accept {chan ip port} {
    fconfigure $chan -buffering line
    fileevent $chan readable [list read_$::opt(-mode) $chan]
}
proc read_oneshot {chan} {
    bench::echo_line $chan
    catch {close $chan}
}
proc read_persistent {chan} {
    if {[bench::echo_line $chan]} { return }
    catch {close $chan}
}

set listener [socket -server accept -myaddr 127.0.0.1 0]
bench::watchdog $opt(-watchdog)
puts "pids [pid]"
puts "port [lindex [fconfigure $listener -sockname] 2]"
bench::until_stdin_closes
