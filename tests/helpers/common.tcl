# common.tcl: what every test file shares. Source it first:
#   source [file join [file dirname [info script]] helpers common.tcl]
#
# Rules the helpers keep: every wait is bounded and fails loudly; only processes a test
# started are killed, by PID; sockets are on loopback only.
package require tcltest 2.5
namespace import ::tcltest::*

if {![info exists ::env(SOCKETSERVER_BUILD)]} {
    set ::env(SOCKETSERVER_BUILD) [file normalize [file join [file dirname [info script]] .. .. build]]
}
set ::auto_path [linsert $::auto_path 0 $::env(SOCKETSERVER_BUILD)]
package require socketserver

namespace eval ::t {
    variable helpers [file dirname [file normalize [info script]]]
    variable tclsh [info nameofexecutable]
    variable servers {}
}

testConstraint tclx [expr {![catch {package require Tclx}]}]
testConstraint ss [expr {[auto_execok ss] ne ""}]
testConstraint ipv6 [expr {![catch {close [socket -server {} -myaddr ::1 0]}]}]
testConstraint soak 0 ;# the long soak runs only when asked for: make soak

# t::wait varName ms: vwait for a variable, failing loudly (an error) after ms.
proc t::wait {varName ms {what ""}} {
    upvar #0 $varName var
    set timer [after $ms [list set $varName [list t::TIMEOUT $what]]]
    vwait $varName
    after cancel $timer
    if {[lindex $var 0] eq "t::TIMEOUT"} {
        unset var
        error "timed out after $ms ms waiting for [expr {$what ne "" ? $what : $varName}]"
    }
    return $var
}

# t::until script ms: re-evaluates script at each event until it is true, or fails loudly.
proc t::until {script ms {what ""}} {
    set deadline [expr {[clock milliseconds] + $ms}]
    while {![uplevel 1 [list expr $script]]} {
        if {[clock milliseconds] > $deadline} {
            error "timed out after $ms ms waiting for [expr {$what ne "" ? $what : $script}]"
        }
        set ::t::tick 0
        after 10 {set ::t::tick 1}
        vwait ::t::tick
    }
}

# t::request port line ?host? ?ms?: one connection, one line out, one line back.
proc t::request {port line {host 127.0.0.1} {ms 5000}} {
    set s [socket $host $port]
    fconfigure $s -buffering line -blocking 0
    puts $s $line
    set var ::t::reply($s)
    fileevent $s readable [list apply {{s var} {
        if {[gets $s l] >= 0} { set $var [list ok $l] } elseif {[eof $s]} { set $var {eof {}} }
    }} $s $var]
    try {
        lassign [t::wait $var $ms "a reply on port $port"] status reply
    } finally {
        close $s
        unset -nocomplain $var
    }
    if {$status ne "ok"} { error "connection closed without a reply" }
    return $reply
}

# t::server ?-workers n? ?-handler name? ?--? serverArgs...: starts tests/helpers/server.tcl
# in its own tclsh and returns its handle (the server's PID). The server answers each
# t::send with one line; it prints "port N" first.
proc t::server {args} {
    variable helpers
    variable tclsh
    variable servers
    set f [open |[list $tclsh [file join $helpers server.tcl] {*}$args 2>@1] r+]
    fconfigure $f -buffering line -blocking 0
    set pid [pid $f]
    set ::t::lines($pid) {}
    fileevent $f readable [list t::Readable $pid $f]
    dict set servers $pid $f
    set port [t::expect $pid {^port (\d+)$} 10000]
    return [list $pid $port]
}

proc t::Readable {pid f} {
    if {[gets $f line] >= 0} {
        lappend ::t::lines($pid) $line
        set ::t::changed($pid) 1
    } elseif {[eof $f]} {
        fileevent $f readable {}
        lappend ::t::lines($pid) "<eof>"
        set ::t::changed($pid) 1
    }
}

# t::expect pid regexp ms: waits for the next output line of server pid matching regexp,
# consuming lines before it, and returns its first capture (or the whole line).
proc t::expect {pid re ms} {
    set deadline [expr {[clock milliseconds] + $ms}]
    while 1 {
        while {[llength $::t::lines($pid)]} {
            set line [lindex $::t::lines($pid) 0]
            set ::t::lines($pid) [lrange $::t::lines($pid) 1 end]
            if {[regexp -- $re $line all capture]} { return $capture }
            if {[regexp -- $re $line all]} { return $all }
            if {$line eq "<eof>"} { error "server $pid exited while waiting for /$re/" }
        }
        set left [expr {$deadline - [clock milliseconds]}]
        if {$left <= 0} { error "timed out after $ms ms waiting for /$re/ from server $pid" }
        t::wait ::t::changed($pid) $left "/$re/ from server $pid"
    }
}

# t::send pid script ?ms?: evaluates script in the server at global level; returns its
# result, or raises its error.
proc t::send {pid script {ms 10000}} {
    set f [dict get $::t::servers $pid]
    puts $f [list eval $script]
    set reply [t::expect $pid {^(=> .*|!! .*)$} $ms]
    set result [lindex $reply 1]
    if {[string match "!!*" $reply]} { error $result }
    return $result
}

# t::stop pid: closes the server's stdin; it kills the workers it forked and exits. Then
# waits (bounded) for it, and kills it by PID if it did not go.
proc t::stop {pid} {
    set f [dict get $::t::servers $pid]
    dict unset ::t::servers $pid
    fconfigure $f -blocking 1
    catch {puts $f exit; flush $f}
    set deadline [expr {[clock milliseconds] + 10000}]
    while {[t::alive $pid] && [clock milliseconds] < $deadline} {
        set ::t::tick 0; after 20 {set ::t::tick 1}; vwait ::t::tick
    }
    if {[t::alive $pid]} { catch {exec kill -9 $pid} }
    catch {close $f}
}

proc t::alive {pid} { expr {[file exists /proc/$pid] && ![string match "*) Z *" [t::stat $pid]]} }
proc t::stat {pid} { if {[catch {set f [open /proc/$pid/stat]}]} {return ""}; set s [read $f]; close $f; return $s }

# t::fdcount pid: open descriptors of a process.
proc t::fdcount {pid} { llength [glob -nocomplain -directory /proc/$pid/fd *] }

# t::rss pid: resident set size in kB.
proc t::rss {pid} {
    set f [open /proc/$pid/status]; set s [read $f]; close $f
    regexp {VmRSS:\s+(\d+)} $s -> kb
    return $kb
}

# t::cputicks pid: user+system CPU time in clock ticks.
proc t::cputicks {pid} {
    set s [t::stat $pid]
    set fields [split [string range $s [expr {[string last ")" $s] + 2}] end]]
    expr {[lindex $fields 11] + [lindex $fields 12]}
}

# Stops every server a test file started; call from cleanupTests.
proc t::cleanup {} {
    foreach pid [dict keys $::t::servers] { t::stop $pid }
}
