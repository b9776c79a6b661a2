# httpd_server.tcl: tcllib's httpd serving a small page in prefork socketserver workers.
#
#   tclsh examples/httpd_server.tcl ?port? ?workers?
#
# Listens on 127.0.0.1 (port 0, the default, lets the kernel choose) and forks `workers`
# (default 2) TclX worker processes. Each worker holds an httpd object (tcllib's httpd
# package, ::httpd::server) that binds nothing: the worker's socketserver handler passes
# every connection it is handed to the object's `connect chan ip port` method, which
# serves it in a coroutine of that worker's event loop, and asks for the next connection
# at once. So one worker serves several slow clients at a time, and no two workers share
# an accept. It prints "port N" and "workers PID PID ..."; end of file on stdin, SIGINT or
# SIGTERM kills the workers by PID and exits. Try it:
#
#   tclsh examples/httpd_server.tcl 8015 2   then, elsewhere:   curl http://127.0.0.1:8015/
#
# With SOCKETSERVER_BUILD set the package comes from that build directory. Sourced by
# another script (bench/servers/httpd.tcl does), it only defines the page and the classes.

package require httpd 4.3

namespace eval ::httpd_example {
    # The page every server here serves, at every path: constant, so load generators that
    # compare response lengths (ab) see every response as the same.
    variable page "<!DOCTYPE html>\n<html><head><title>socketserver</title></head>\
        <body><h1>Hello from a socketserver worker</h1><p>Served by tcllib httpd.</p></body></html>"
}

# ::httpd_example::serve httpd: makes the httpd object serve the page.
proc ::httpd_example::serve {httpd} {
    $httpd plugin dict_dispatch
    $httpd uri direct * * {} {
        my reply set Content-Type text/html
        my puts $::httpd_example::page
    }
}

# An httpd server whose listening socket is someone else's: start prepares the object as
# ::httpd::server's start does but binds no port (nor schedules its idle-connection check,
# an `after` timer that a prefork worker would not inherit), and port_listening reports
# the port given as "port", for the replies' SERVER_PORT.
clay::define ::httpd_example::server {
    superclass ::httpd::server
    method start {} {
        my variable port_listening
        namespace eval [namespace current]::reply {}
        set port_listening [my clay get server/ port]
        my Thread_start
    }
}

# ::httpd_example::handler chan ip port: a worker's socketserver handler.
proc ::httpd_example::handler {chan ip port} {
    ::httpd_example::HTTPD connect $chan $ip $port
    ::socketserver::socket client ::httpd_example::handler
}

proc ::httpd_example::main {argv} {
    package require Tclx
    if {[info exists ::env(SOCKETSERVER_BUILD)]} {
        set ::auto_path [linsert $::auto_path 0 $::env(SOCKETSERVER_BUILD)]
    }
    package require socketserver
    lassign [concat $argv {0 2}] port nworkers
    if {![string is integer -strict $port] || ![string is integer -strict $nworkers] || $nworkers < 1} {
        puts stderr "usage: tclsh [info script] ?port? ?workers?"
        exit 2
    }
    fconfigure stdout -buffering line
    set port [::socketserver::socket server -myaddr 127.0.0.1 $port]
    ::httpd_example::server create ::httpd_example::HTTPD port $port myaddr 127.0.0.1
    serve ::httpd_example::HTTPD
    # Each worker ends quietly once the server is gone; the server keeps its signal traps
    # and the stdin handler to itself.
    variable workers [::socketserver::prefork $nworkers ::httpd_example::handler]
    signal trap {SIGINT SIGTERM} {::httpd_example::shutdown}
    fileevent stdin readable {
        if {[gets stdin line] < 0 && [eof stdin]} { ::httpd_example::shutdown }
    }
    puts "port $port"
    puts "workers $workers"
    vwait forever
}

proc ::httpd_example::shutdown {} {
    variable workers
    foreach pid $workers { catch {kill SIGKILL $pid} }
    foreach pid $workers { catch {wait $pid} }
    exit 0
}

if {[info exists ::argv0] && [file normalize $::argv0] eq [file normalize [info script]]} {
    ::httpd_example::main $argv
}
