# reuseport.tcl: -procs processes, each with its own SO_REUSEPORT listener on one port,
# each serving its own connections with `::socketserver::socket client` in the same
# process (the immediate handlers of handlers.tcl). No forking: the first process opens
# the port and starts the others as new tclsh processes with that port.
#   tclsh reuseport.tcl -build DIR -procs N -mode oneshot|persistent ?-port P? ?-watchdog ms?
# Prints "pids FIRST OTHER..." then "port N" once all are listening; exits, killing the
# others by PID, when stdin closes (each other process also exits when its stdin, a pipe
# from the first, closes).
set here [file dirname [file normalize [info script]]]
source [file join $here common.tcl]
source [file join $here handlers.tcl]
bench::options {-build "" -procs 2 -mode oneshot -port 0 -watchdog 600000} $argv

lappend auto_path $opt(-build)
package require socketserver

set port [::socketserver::socket server -reuseport 1 -myaddr 127.0.0.1 $opt(-port)]
bench::watchdog $opt(-watchdog)
::socketserver::socket client immediate_$opt(-mode)

# Start the others; each says "port N" when it listens.
proc started {chan} {
    if {[gets $chan line] >= 0} {
        if {[regexp {^port \d+$} $line]} { incr ::listening }
    } elseif {[eof $chan]} {
        puts stderr "[pid]: a reuseport process exited before listening"
        bench::shutdown 1
    }
}
set listening 0
set others {}
for {set i 1} {$i < $opt(-procs)} {incr i} {
    set chan [open |[list [info nameofexecutable] [file join $here reuseport.tcl] \
        -build $opt(-build) -procs 1 -mode $opt(-mode) -port $port \
        -watchdog $opt(-watchdog) 2>@stderr] r+]
    lappend others $chan
    lappend bench::children {*}[pid $chan]
    fconfigure $chan -blocking 0 -buffering line
    fileevent $chan readable [list started $chan]
}
set deadline [after 30000 {puts stderr "[pid]: timed out waiting for the reuseport processes"; bench::shutdown 1}]
while {$listening < $opt(-procs) - 1} { vwait listening }
after cancel $deadline
foreach chan $others { fileevent $chan readable {} }
puts "pids [pid] $bench::children"
puts "port $port"
bench::until_stdin_closes
