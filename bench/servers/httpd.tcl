# httpd.tcl: the page of examples/httpd_server.tcl served by tcllib's httpd, three ways.
#   tclsh httpd.tcl -impl socketserver -build DIR -workers N ?-options {SERVER-OPTIONS}?
#   tclsh httpd.tcl -impl original -original DIR -workers N
#   tclsh httpd.tcl -impl single
# socketserver: this package with N prefork workers, each passing its connections to an
# httpd object that binds nothing, as the example runs it; original: the C original,
# socketservertcl 1.1, with N workers and the same handler; single: one process whose
# httpd object listens itself. Prints "pids ..." and "port N" as every bench server does;
# exits when stdin closes.
set here [file dirname [file normalize [info script]]]
source [file join $here common.tcl]
source [file join $here .. .. examples httpd_server.tcl]
bench::options {-impl socketserver -build "" -original "" -workers 2 -options {}
    -watchdog 600000} $argv

switch -- $opt(-impl) {
    single {
        set port [bench::free_port]
        ::httpd::server create ::httpd_example::HTTPD port $port myaddr 127.0.0.1
    }
    socketserver { set port [bench::server $opt(-build) $opt(-options)] }
    original     { set port [bench::original_server $opt(-original)] }
    default {
        puts stderr "httpd.tcl: -impl must be socketserver, original or single"
        exit 2
    }
}
if {$opt(-impl) ne "single"} {
    ::httpd_example::server create ::httpd_example::HTTPD port $port myaddr 127.0.0.1
}
::httpd_example::serve ::httpd_example::HTTPD
bench::watchdog $opt(-watchdog)
if {$opt(-impl) ne "single"} {
    bench::workers [expr {$opt(-impl) eq "original"}] $port $opt(-workers) ::httpd_example::handler
}
puts "pids [pid] $bench::children"
puts "port $port"
bench::until_stdin_closes
