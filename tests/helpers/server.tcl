# server.tcl: a socketserver server for the tests, driven over stdin by common.tcl.
#   tclsh server.tcl ?-workers n? ?-handler name? ?-watchdog ms? ?--? ?server args...?
# Server args default to "-myaddr 127.0.0.1 0". It prints "port N" once listening, then
# answers each stdin line "eval SCRIPT" with "=> result" or "!! error" (one line), and on
# "exit" or end of file kills the workers it forked (by PID) and exits. Workers print
# "bgerror PID {message} {errorcode}" for their background errors; the server prints
# "bgerror server ..." for its own.
lappend auto_path $env(SOCKETSERVER_BUILD)
package require socketserver
source [file join [file dirname [info script]] fork.tcl] ;# fork, wait and kill: TclX's or ours
fconfigure stdout -buffering line

array set opt {-workers 0 -handler echo -watchdog 300000}
while {[llength $argv] && [string match -* [lindex $argv 0]] && [lindex $argv 0] ne "--"} {
    set argv [lassign $argv name value]
    set opt($name) $value
}
if {[lindex $argv 0] eq "--"} { set argv [lrange $argv 1 end] }
if {![llength $argv]} { set argv {-myaddr 127.0.0.1 0} }

set role server
set workers {}
# A worker's handlers re-arm with the clientArgs it was spawned with (-port p, say).
set clientArgs {}
proc bgerror {message} {
    puts [list bgerror [expr {$::role eq "server" ? "server" : [pid]}] $message $::errorCode]
}

# --- worker handlers: each is called as handler chan ipaddr port -------------------------

# echo: one line in, "PID line" out, close, ask for the next connection.
proc echo {chan ip port} {
    gets $chan line
    puts $chan "[pid] $line"
    close $chan
    ::socketserver::socket client {*}$::clientArgs echo
}

# fileevent: the socketservertcl 1.1 README pattern (event-driven, re-arm after close).
proc fileevent_echo {chan ip port} {
    fconfigure $chan -buffering line
    fileevent $chan readable [list fileevent_read $chan]
}
proc fileevent_read {chan} {
    if {[gets $chan line] < 0} { return }
    puts $chan "[pid] $line"
    close $chan
    ::socketserver::socket client {*}$::clientArgs fileevent_echo
}

# hold: a long connection: echo every line until the client closes, then re-arm.
proc hold {chan ip port} {
    fconfigure $chan -buffering line
    fileevent $chan readable [list hold_read $chan]
}
proc hold_read {chan} {
    if {[gets $chan line] >= 0} { puts $chan "[pid] $line"; return }
    if {[eof $chan]} { close $chan; ::socketserver::socket client {*}$::clientArgs hold }
}

# peer: reply with what the handler was told and what the channel says.
proc peer {chan ip port} {
    gets $chan line
    puts $chan [list [pid] $ip $port [fconfigure $chan -peername] [fconfigure $chan -sockname] [info level]]
    close $chan
    ::socketserver::socket client {*}$::clientArgs peer
}

# error: re-arm, then fail; the error must reach bgerror and the worker carry on.
proc error_handler {chan ip port} {
    ::socketserver::socket client {*}$::clientArgs error_handler
    gets $chan line
    puts $chan "[pid] $line"
    close $chan
    error "handler failed on purpose"
}

# evaluate: a connection that drives the worker holding it: each line is a script the worker
# evaluates at global level, answered with [list PID code result errorcode]; when the client
# closes, close and re-arm.
proc evaluate {chan ip port} {
    fconfigure $chan -buffering line
    fileevent $chan readable [list evaluate_read $chan]
}
proc evaluate_read {chan} {
    if {[gets $chan line] >= 0} {
        set code [catch {uplevel #0 $line} result opts]
        puts $chan [list [pid] $code $result [expr {$code ? [dict get $opts -errorcode] : ""}]]
        return
    }
    if {[eof $chan]} { close $chan; ::socketserver::socket client {*}$::clientArgs evaluate }
}

# --- workers ------------------------------------------------------------------------------

# spawn ?n? ?handler? ?clientArgs?: forks n workers (fork.tcl's fork); returns their PIDs.
proc spawn {{n 1} {handler ""} {clientArgs {}}} {
    if {$handler eq ""} { set handler $::opt(-handler) }
    set pids {}
    for {set i 0} {$i < $n} {incr i} {
        set pid [fork]
        if {$pid == 0} {
            set ::role worker
            set ::clientArgs $clientArgs
            fileevent stdin readable {} ;# the server's stdin handler is inherited: drop it
            ::socketserver::socket client {*}$clientArgs $handler
            vwait forever
        }
        lappend ::workers $pid
        lappend pids $pid
    }
    return $pids
}

proc killworker {pid {signal KILL}} {
    kill $signal $pid
    wait $pid
    set ::workers [lsearch -all -inline -not -exact $::workers $pid]
    return
}

proc shutdown {code} {
    foreach pid $::workers { catch {kill KILL $pid}; catch {wait $pid} }
    exit $code
}

proc command {} {
    if {[gets stdin line] < 0} {
        if {[eof stdin]} { shutdown 0 }
        return
    }
    lassign $line verb script
    switch -- $verb {
        exit { shutdown 0 }
        eval {
            if {[catch {uplevel #0 $script} result]} {
                puts [list !! $result]
            } else {
                puts [list => $result]
            }
        }
        default { puts [list !! "unknown verb $verb"] }
    }
}

set port [::socketserver::socket server {*}$argv]
after $opt(-watchdog) {puts "watchdog expired"; shutdown 3}
spawn $opt(-workers)
fileevent stdin readable command
puts "port $port"
vwait forever
