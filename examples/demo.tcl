# demo.tcl: what `make demo` runs. It starts examples/echo_server.tcl with 3 workers,
# connects to it 12 times, shows which worker served each connection and what the server
# counted, then stops everything it started. Every wait is bounded; only 127.0.0.1 is used.
#
#   SOCKETSERVER_BUILD=/path/to/build tclsh examples/demo.tcl

set here [file dirname [file normalize [info script]]]
set tclsh [info nameofexecutable]
set nworkers 3
set timeout 5000 ;# ms, for any one thing the demo waits for

fconfigure stdout -buffering line

proc fail {message} {
    puts stderr "demo: $message"
    cleanup
    exit 1
}

# wait varName what: waits (vwait, with a deadline) until the variable exists.
proc wait {varName what} {
    upvar #0 $varName var
    if {[info exists var]} { return $var }
    set timer [after $::timeout [list set $varName demo::TIMEOUT]]
    vwait $varName
    after cancel $timer
    if {$var eq "demo::TIMEOUT"} { fail "timed out after $::timeout ms waiting for $what" }
    return $var
}

# ---- the echo server, as a child process on a pipe -----------------------------------------

set server [open |[list $tclsh [file join $here echo_server.tcl] 0 $nworkers 2>@stderr] r+]
set serverPid [pid $server]
set workerPids {}
fconfigure $server -buffering line -blocking 0
set lines {}
fileevent $server readable {
    if {[gets $server line] >= 0} {
        lappend lines $line
        set gotLine 1
    } elseif {[eof $server]} {
        fileevent $server readable {}
        set serverEof 1
        set gotLine 1
    }
}

# nextLine pattern: the next line from the server that starts with pattern.
proc nextLine {pattern} {
    while 1 {
        while {[llength $::lines]} {
            set ::lines [lassign $::lines line]
            if {[string match "$pattern *" $line]} { return [string range $line [string length $pattern]+1 end] }
        }
        if {[info exists ::serverEof]} { fail "the echo server exited while the demo waited for \"$pattern\"" }
        unset -nocomplain ::gotLine
        wait ::gotLine "\"$pattern\" from the echo server"
    }
}

# pause ms: lets events run for ms milliseconds.
proc pause {ms} {
    set ::paused 0
    after $ms {set ::paused 1}
    vwait ::paused
}

proc alive {pid} {
    if {[catch {open /proc/$pid/stat} f]} { return 0 }
    set stat [read $f]
    close $f
    return [expr {![string match "*) Z *" $stat]}]
}

# Stops what the demo started: closing the server's stdin makes it kill its workers and exit;
# anything still running after that is killed by PID.
proc cleanup {} {
    global server serverPid workerPids
    if {$server eq ""} { return }
    catch {close $server write}
    set deadline [expr {[clock milliseconds] + $::timeout}]
    while {[clock milliseconds] < $deadline && ![info exists ::serverEof]} {
        set t [after 50 {set ::gotLine 1}]
        vwait ::gotLine
        after cancel $t
    }
    foreach pid [concat $serverPid $workerPids] {
        if {[alive $pid]} { catch {exec kill -KILL $pid} }
    }
    catch {fconfigure $server -blocking 1; close $server}
    set server ""
}

# ---- clients ----------------------------------------------------------------------------

# connect i: opens connection i (not sending anything yet).
proc connect {i} {
    set s [socket 127.0.0.1 $::port]
    fconfigure $s -buffering line -blocking 0 -translation lf
    fileevent $s readable [list replied $i $s]
    set ::chan($i) $s
}
proc replied {i s} {
    if {[gets $s line] >= 0} {
        set ::reply($i) $line
    } elseif {[eof $s]} {
        set ::reply($i) "(closed without a reply)"
    } else {
        return
    }
    close $s
    set ::done($i) 1
}
proc send {i} { puts $::chan($i) "hello from connection $i" }

proc row {i how} {
    set pid [lindex $::reply($i) 0]
    set who [expr {[info exists ::name($pid)] ? $::name($pid) : "?"}]
    puts [format "  %2d  %-10s  %-9s %-8s  %s" $i $how $who $pid $::reply($i)]
    incr ::served($who)
}

# serverInfo: the server's `::socketserver::socket info` dict, asked for over its stdin.
proc serverInfo {} {
    puts $::server info
    return [lindex [nextLine info] 0]
}


# ---- the demo ------------------------------------------------------------------------------

if {[catch {
    set port [nextLine port]
    set workerPids [nextLine workers]
    set n 0
    foreach pid $workerPids { set name($pid) "worker [incr n]" }

    puts "The echo server (pid $serverPid) listens on 127.0.0.1 port $port."
    puts "It forked $nworkers workers with TclX: [join [lmap p $workerPids {string cat "$name($p) = pid $p"}] {, }]."
    puts "Each worker answers a line with \"<its pid> <the line>\", closes, and asks for the next connection."
    puts ""

    puts "Twelve connections, each sending one line; the reply's first word is the pid of the"
    puts "worker that served it:"
    puts [format "  %2s  %-10s  %-9s %-8s  %s" # how worker pid reply]

    # Six connections one after another. The server hands each connection to the worker that has
    # been ready longest, and a worker that has just finished goes to the back of the line: so
    # the workers take turns. (The pause gives the worker that answered time to ask for its next
    # connection; without it the next connection can go to the worker after it.)
    for {set i 1} {$i <= 6} {incr i} {
        connect $i
        send $i
        wait ::done($i) "the reply to connection $i"
        row $i "one by one"
        pause 50
    }

    # Six connections at once, twice as many as there are workers. Nothing is sent yet, so each
    # worker keeps the connection it got: the server accepts only while a worker is ready, and
    # the other three clients wait in the kernel's listen queue.
    for {set i 7} {$i <= 12} {incr i} { connect $i }
    set deadline [expr {[clock milliseconds] + $timeout}]
    while {[dict get [set held [serverInfo]] dispatched] < 9} {
        if {[clock milliseconds] > $deadline} { fail "the server did not hand out connections 7-9: $held" }
        pause 20
    }
    pause 200 ;# time for the server to accept more, if it would
    set held [serverInfo]

    for {set i 7} {$i <= 12} {incr i} { send $i }
    for {set i 7} {$i <= 12} {incr i} {
        wait ::done($i) "the reply to connection $i"
        row $i "6 at once"
    }

    puts ""
    puts "Connections per worker: [join [lmap p $workerPids {string cat "$name($p): $::served($name($p))"}] {, }]."
    puts ""
    puts "While connections 7-12 were open and silent, the server's info said:"
    puts "  accepted [dict get $held accepted], dispatched [dict get $held dispatched],\
          ready [dict get $held ready], queued [dict get $held queued]"
    set now [expr {[dict get $held accepted] - 6}]
    puts "  Of the 6 new connections it had accepted $now, one for each ready worker, and handed"
    puts "  them out. The other [expr {6 - $now}] waited in the kernel's listen queue, not accepted, until a"
    puts "  worker finished and asked for another (-queue 0: back pressure, no accepting ahead)."
    puts ""
    puts "::socketserver::socket info $port, as the server sees it now:"
    set info [serverInfo]
    dict for {key value} $info { puts [format "  %-10s %s" $key $value] }
    puts ""

} message]} {
    fail $message
}

cleanup
foreach pid [concat $serverPid $workerPids] {
    if {[alive $pid]} { puts stderr "demo: process $pid is still running"; exit 1 }
}
puts "Stopped the echo server and its workers (closing its stdin; it kills its workers by PID)."
puts "Run it yourself: tclsh examples/echo_server.tcl 8888 3, then connect to 127.0.0.1 port 8888."
exit 0
