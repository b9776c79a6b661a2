# common.tcl: what every benchmark server script shares, sourced by them.
#
# A server script prints "port N" on stdout once it accepts connections (optionally
# preceded by "pids SERVER ?CHILD ...?", the processes serving), then runs until its stdin
# reaches end of file, when it kills the processes it started, by PID, and exits. A
# watchdog exits anyway after -watchdog milliseconds, so nothing outlives a lost harness.
fconfigure stdout -buffering line

namespace eval bench {
    variable children {}  ;# PIDs this process started and must kill on exit
}

# bench::options defaults argv: parses "-name value" pairs into the global array opt,
# rejecting names that have no default.
proc bench::options {defaults argv} {
    array set ::opt $defaults
    if {[llength $argv] % 2} {
        puts stderr "usage: [file tail $::argv0] $defaults"
        exit 2
    }
    foreach {name value} $argv {
        if {![info exists ::opt($name)]} {
            puts stderr "[file tail $::argv0]: unknown option $name (known: [array names ::opt])"
            exit 2
        }
        set ::opt($name) $value
    }
}

# bench::shutdown code: kills the children by PID, reaps them, exits.
proc bench::shutdown {code} {
    variable children
    if {[llength $children]} {
        package require Tclx
        foreach pid $children { catch {kill KILL $pid} }
        foreach pid $children { catch {wait $pid} }
    }
    exit $code
}

# bench::watchdog ms: exits (killing the children) after ms milliseconds whatever happens.
proc bench::watchdog {ms} {
    after $ms {puts stderr "[pid]: watchdog expired"; bench::shutdown 3}
}

# bench::until_stdin_closes: serves (runs the event loop) until stdin reaches end of file.
proc bench::until_stdin_closes {} {
    fconfigure stdin -blocking 0
    fileevent stdin readable {
        read stdin
        if {[eof stdin]} { bench::shutdown 0 }
    }
    vwait forever
}

# bench::wait_for condition timeout_ms what: polls condition (an expression evaluated at
# global level) every 5 ms until it holds, exiting with status 1 if it does not within
# timeout_ms.
proc bench::wait_for {condition timeout_ms what} {
    set deadline [expr {[clock milliseconds] + $timeout_ms}]
    while {![uplevel #0 [list expr $condition]]} {
        if {[clock milliseconds] > $deadline} {
            puts stderr "[pid]: timed out after $timeout_ms ms waiting for $what"
            bench::shutdown 1
        }
        after 5
    }
}

# bench::report_error message: a handler's failure, on stderr (the harness keeps it in the
# server's log); the client sees it as an error of its own.
proc bench::report_error {message} {
    puts stderr "[pid]: $message"
}

# bench::echo_line chan: answers one line of the echo protocol with "PID line". Returns 1
# while the connection may carry more lines, 0 once it should be closed (end of file, or
# an error, which is reported).
proc bench::echo_line {chan} {
    if {[catch {
        set n [gets $chan line]
        if {$n >= 0} { puts $chan "[pid] $line" }
    } message]} {
        bench::report_error $message
        return 0
    }
    return [expr {$n >= 0}]
}

# bench::server options: opens this package's server (`::socketserver::socket server`
# with more options, e.g. {-queue 8}) on a port the kernel chooses; returns the port.
proc bench::server {build options} {
    lappend ::auto_path $build
    package require socketserver
    return [::socketserver::socket server {*}$options -myaddr 127.0.0.1 0]
}

# bench::original_server dir: opens the C original's server (socketservertcl 1.1 from dir);
# returns its port. Its `server` takes only a port (and binds every address), so the port
# is a free one (bench::free_port).
proc bench::original_server {dir} {
    lappend ::auto_path $dir
    package require socketserver 1.1.3
    set port [bench::free_port]
    ::socketserver::socket server $port
    return $port
}

# bench::free_port: a port the kernel has just chosen for a loopback listener, closed, for
# servers that cannot be told to bind port 0 and say which port they got.
proc bench::free_port {} {
    set probe [socket -server {} -myaddr 127.0.0.1 0]
    set port [lindex [fconfigure $probe -sockname] 2]
    close $probe
    return $port
}

# bench::workers original port count handler: forks count workers serving handler, as
# bench::children, and returns once they serve. This package's workers come from prefork
# and are waited for until they have registered; the original has neither prefork nor
# `info` (it queues what it accepts until a worker takes it), so its workers are forked
# here the way prefork does it, without the server's timers.
proc bench::workers {original port count handler} {
    variable children
    package require Tclx
    if {!$original} {
        set children [::socketserver::prefork $count $handler]
        bench::wait_for "\[dict get \[::socketserver::socket info $port\] workers\] >= $count" \
            30000 "$count workers to register"
        return
    }
    for {set i 0} {$i < $count} {incr i} {
        set pid [fork]
        if {$pid == 0} {
            foreach timer [after info] { after cancel $timer }
            ::socketserver::socket client $handler
            vwait forever
        }
        lappend children $pid
    }
}
