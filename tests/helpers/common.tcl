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

source [file join [file dirname [info script]] fork.tcl]
# The -errorcode of Tcl's own integer parsing: {TCL VALUE INTEGER} in 8.6, {TCL VALUE NUMBER} in 9.
set ::t::notInteger [dict get [catch {string repeat a x} - options; set options] -errorcode]
# thread: the Thread package (2.8 with Tcl 8.6, 3.0 with Tcl 9), asked of another interpreter
testConstraint thread [apply {{} {
    set probe [interp create]
    $probe eval [list set ::auto_path $::auto_path]
    set ok [expr {![catch {$probe eval {package require Thread}}]}]
    interp delete $probe
    return $ok
}}]
# tclx: TclX itself, for what only it has (signal trap, a socketservertcl 1.1 script)
testConstraint tclx [expr {"tclx" in $::t::forks}]
testConstraint ss [expr {[auto_execok ss] ne ""}]
testConstraint ipv6 [expr {![catch {close [socket -server {} -myaddr ::1 0]}]}]
# the long soak runs only when asked for (make soak: -constraints soak, which a plain
# "testConstraint soak 0" here would override)
testConstraint soak [expr {"soak" in [configure -constraints]}]

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
#
# -fork tclx|socketserver is t::server's own: the fork the server's spawn uses (fork.tcl),
# by default this process's.
# -prefix cmdlist is t::server's own (not passed on): the server's tclsh is started through
# that command, which must exec it so that the PID stays the server's; for example
#   t::server -prefix {sh -c {ulimit -n 32; exec "$@"} sh} -- -queue 100 -myaddr 127.0.0.1 0
proc t::server {args} {
    variable helpers
    variable tclsh
    variable servers
    set prefix {}
    set fork $::t::fork
    for {set i 0} {$i < [llength $args] - 1 && [lindex $args $i] ne "--"} {} {
        switch -- [lindex $args $i] {
            -prefix { set prefix [lindex $args $i+1] }
            -fork { set fork [lindex $args $i+1] }
            default { incr i 2; continue }
        }
        set args [lreplace $args $i $i+1]
    }
    set saved [array get ::env SOCKETSERVER_TEST_FORK]
    set ::env(SOCKETSERVER_TEST_FORK) $fork
    try {
        set f [open |[list {*}$prefix $tclsh [file join $helpers server.tcl] {*}$args 2>@1] r+]
    } finally {
        unset ::env(SOCKETSERVER_TEST_FORK)
        array set ::env $saved
    }
    fconfigure $f -buffering line -blocking 0
    set pid [pid $f]
    set ::t::lines($pid) {}
    set ::t::log($pid) {}
    fileevent $f readable [list t::Readable $pid $f]
    dict set servers $pid $f
    set port [t::expect $pid {^port (\d+)$} 10000]
    return [list $pid $port]
}

proc t::Readable {pid f} {
    if {[gets $f line] >= 0} {
        lappend ::t::lines($pid) $line
        lappend ::t::log($pid) $line
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
    if {[string match *\n* $script]} {
        # The server reads one line per command: a script of several lines travels encoded.
        set script "eval \[encoding convertfrom utf-8 \[binary decode base64\
            [binary encode base64 [encoding convertto utf-8 $script]]\]\]"
    }
    puts $f [list eval $script]
    set reply [t::expect $pid {^(=> .*|!! .*)$} $ms]
    set result [lindex $reply 1]
    if {[string match "!!*" $reply]} { error $result }
    return $result
}

# t::stop pid: closes the server's stdin; it kills the workers it forked and exits. Then
# waits (bounded) for it, and kills it by PID if it did not go, with any worker it forked
# that it did not take with it (it was killed, say).
proc t::stop {pid} { t::stopkeeping $pid {} }

# t::children pid: a process's children, as a dict PID -> start time (to tell a PID reused
# later from the child).
proc t::children {pid} {
    set out {}
    foreach file [glob -nocomplain /proc/$pid/task/*/children] {
        if {[catch {set f [open $file]}]} continue
        foreach child [read $f] { dict set out $child [t::starttime $child] }
        close $f
    }
    return $out
}
proc t::starttime {pid} {
    set s [t::stat $pid]
    lindex [split [string range $s [expr {[string last ")" $s] + 2}] end]] 19
}

proc t::alive {pid} { expr {[file exists /proc/$pid] && ![string match "*) Z *" [t::stat $pid]]} }
# (A process that exits between the open and the read: "" too; Tcl 9's read raises ESRCH.)
proc t::stat {pid} {
    if {[catch {set f [open /proc/$pid/stat]}]} { return "" }
    if {[catch {read $f} s]} { set s "" }
    close $f
    return $s
}

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

# t::output pid ?regexp?: every output line of server pid so far (those t::expect and t::send
# consumed too), or those matching regexp.
proc t::output {pid {re ""}} {
    if {$re eq ""} { return $::t::log($pid) }
    lsearch -all -inline -regexp $::t::log($pid) $re
}

# t::sleep ms: lets ms pass while serving events.
proc t::sleep {ms} {
    set ::t::slept 0
    after $ms {set ::t::slept 1}
    vwait ::t::slept
}

# t::ctxt pid: context switches (voluntary and not) of all of a process's threads so far; a
# process that sleeps in its event loop does not gain any.
proc t::ctxt {pid} {
    set n 0
    foreach status [glob -nocomplain /proc/$pid/task/*/status] {
        if {[catch {set f [open $status]}]} continue
        set s [read $f]; close $f
        foreach {- count} [regexp -all -inline {ctxt_switches:\s+(\d+)} $s] { incr n $count }
    }
    return $n
}

# t::connect port ?host?: a client connection (line-buffered, non-blocking) whose input is
# collected as it arrives: t::readline takes its lines, t::closed waits for its end,
# t::received says what is there without waiting, t::disconnect closes it.
proc t::connect {port {host 127.0.0.1}} {
    set s [socket $host $port]
    fconfigure $s -buffering line -blocking 0
    set ::t::input($s) {}
    fileevent $s readable [list t::Input $s]
    return $s
}

proc t::Input {s} {
    if {[catch {gets $s line} n]} {
        fileevent $s readable {}
        lappend ::t::input($s) [list error $n]
    } elseif {$n >= 0} {
        lappend ::t::input($s) [list line $line]
    } elseif {[eof $s]} {
        fileevent $s readable {}
        lappend ::t::input($s) [list eof]
    } else {
        return
    }
    set ::t::inputChanged($s) 1
}

# t::readline chan ms: the next line chan received, waiting at most ms; an error on timeout,
# end of file or a reset.
proc t::readline {s ms} {
    set deadline [expr {[clock milliseconds] + $ms}]
    while {![llength $::t::input($s)]} {
        set left [expr {$deadline - [clock milliseconds]}]
        if {$left <= 0} { error "timed out after $ms ms waiting for a line on $s" }
        t::wait ::t::inputChanged($s) $left "a line on $s"
    }
    lassign [lindex $::t::input($s) 0] kind value
    switch -- $kind {
        line { set ::t::input($s) [lrange $::t::input($s) 1 end]; return $value }
        eof { error "end of file on $s while waiting for a line" }
        default { error "$s failed while waiting for a line: $value" }
    }
}

# t::closed chan ms: waits at most ms for the peer to close chan, skipping lines; returns
# "eof", or "error: message" for a reset. An error on timeout.
proc t::closed {s ms} {
    set deadline [expr {[clock milliseconds] + $ms}]
    while 1 {
        foreach item $::t::input($s) {
            lassign $item kind value
            if {$kind eq "eof"} { return eof }
            if {$kind eq "error"} { return "error: $value" }
        }
        set left [expr {$deadline - [clock milliseconds]}]
        if {$left <= 0} { error "timed out after $ms ms waiting for $s to be closed" }
        t::wait ::t::inputChanged($s) $left "the end of $s"
    }
}

# t::received chan: what chan received that nobody took yet, as {line text}, {eof} and
# {error message} items.
proc t::received {s} { return $::t::input($s) }

proc t::disconnect {s} {
    catch {close $s}
    unset -nocomplain ::t::input($s) ::t::inputChanged($s)
}

# t::ssinfo pid port ?key?: "::socketserver::socket info port" in server pid, or one key of it.
proc t::ssinfo {pid port {key ""}} {
    set info [t::send $pid [list ::socketserver::socket info $port]]
    if {$key eq ""} { return $info }
    return [dict get $info $key]
}

# t::recvq port: connections waiting in the kernel's accept queue of the listening sockets
# on port (the Recv-Q that ss shows for a listening socket). Needs the ss constraint.
proc t::recvq {port} {
    set n 0
    foreach line [split [exec ss -ltnH "sport = :$port"] \n] {
        if {[llength $line] >= 2} { incr n [lindex $line 1] }
    }
    return $n
}

# t::anonymize value ?from to ...?: value with each run-specific word (a PID, a port) replaced
# by a name, so that a -result can be written down. Whole words only: 123 is not replaced
# inside 41234.
proc t::anonymize {value args} {
    foreach {from to} $args {
        set re "\\m[regsub -all {[][*+?{}()<>|.^$\\]} $from {\\&}]\\M"
        set value [regsub -all -- $re $value [string map {\\ \\\\ & \\&} $to]]
    }
    return $value
}

# --- added for pool.test, restart.test, proxy.test, prefork.test ---------------------------

# t::load port ?concurrency? ?ms?: a client load on port from this process, run by its event
# loop (it goes on while a test waits in t::send, t::expect, t::until...): concurrency
# connections at a time, each a fresh connection that sends one line and expects one line
# back within ms. Returns a handle for t::loadstop.
proc t::load {port {concurrency 1} {ms 5000}} {
    set h load[incr ::t::loadSeq]
    set ::t::loads($h) [dict create port $port ms $ms running 1 active 0 ok 0 failed 0 \
        errors {} replies {}]
    for {set i 0} {$i < $concurrency} {incr i} { t::LoadNext $h }
    return $h
}

proc t::LoadNext {h} {
    if {![dict get $::t::loads($h) running]} return
    dict incr ::t::loads($h) active
    set start [clock milliseconds]
    if {[catch {socket 127.0.0.1 [dict get $::t::loads($h) port]} s]} {
        t::LoadDone $h "" $start error "connect: $s"
        return
    }
    if {[catch {fconfigure $s -buffering line -blocking 0; puts $s load} err]} {
        t::LoadDone $h $s $start error "send: $err"
        return
    }
    set timer [after [dict get $::t::loads($h) ms] [list t::LoadDone $h $s $start error timeout]]
    fileevent $s readable [list t::LoadRead $h $s $start $timer]
}

proc t::LoadRead {h s start timer} {
    if {[catch {gets $s line} n]} {
        set result [list error "receive: $n"]
    } elseif {$n >= 0} {
        set result [list ok $line]
    } elseif {[eof $s]} {
        set result [list error eof]
    } else {
        return
    }
    after cancel $timer
    t::LoadDone $h $s $start {*}$result
}

proc t::LoadDone {h s start status detail} {
    if {$s ne ""} { catch {close $s} }
    dict incr ::t::loads($h) active -1
    if {$status eq "ok"} {
        dict incr ::t::loads($h) ok
        dict lappend ::t::loads($h) replies [list $start [lindex $detail 0]]
    } else {
        dict incr ::t::loads($h) failed
        dict lappend ::t::loads($h) errors [list $start $detail]
    }
    after 0 [list t::LoadNext $h]
}

# t::loadstop h ?ms?: stops the load, waits (at most ms) for its connections to finish, and
# returns a dict: ok (replies), failed (connections that were refused, reset, closed without
# a reply or timed out), errors (a list of {startms message}) and replies (a list of
# {startms pid}: each reply's first word, with the time its connection was opened).
proc t::loadstop {h {ms 10000}} {
    dict set ::t::loads($h) running 0
    t::until {[dict get $::t::loads($h) active] == 0} $ms "the load's last connections"
    set result [dict remove $::t::loads($h) running active port ms]
    unset ::t::loads($h)
    return $result
}

# t::freeport: a TCP port on 127.0.0.1 that was free a moment ago.
proc t::freeport {} {
    set s [socket -server {} -myaddr 127.0.0.1 0]
    set port [lindex [fconfigure $s -sockname] 2]
    close $s
    return $port
}

# t::listening port: whether some socket listens on TCP port (IPv4 or IPv6), from /proc/net.
proc t::listening {port} {
    foreach table {/proc/net/tcp /proc/net/tcp6} {
        if {[catch {open $table} f]} continue
        set lines [lrange [split [read $f] \n] 1 end]
        close $f
        foreach line $lines {
            if {[llength $line] < 4} continue
            if {[lindex $line 3] eq "0A" && [scan [lindex [split [lindex $line 1] :] end] %x] == $port} {
                return 1
            }
        }
    }
    return 0
}

# t::stopkeeping pid keep: as t::stop, but the processes in the list keep (PIDs of processes
# the server started that must outlive it, such as the new server of a hot restart) are
# spared; the caller ends them.
proc t::stopkeeping {pid keep} {
    set f [dict get $::t::servers $pid]
    dict unset ::t::servers $pid
    set children [t::children $pid]
    fconfigure $f -blocking 1
    catch {puts $f exit; flush $f}
    set deadline [expr {[clock milliseconds] + 10000}]
    while {[t::alive $pid] && [clock milliseconds] < $deadline} {
        set ::t::tick 0; after 20 {set ::t::tick 1}; vwait ::t::tick
    }
    if {[t::alive $pid]} { catch {exec kill -9 $pid} }
    dict for {child start} $children {
        if {$child ni $keep && [t::alive $child] && [t::starttime $child] eq $start} {
            catch {exec kill -9 $child}
        }
    }
    fconfigure $f -blocking 0
    catch {close $f}
}
