# fork.tcl: the fork the tests' processes use, with TclX's names and shape, so that the same
# test runs with either implementation: TclX's (tclx) or the package's own (socketserver).
#   fork             0 in the child, the child's pid in the parent
#   wait ?-nohang? pid   {pid EXIT code} or {pid SIG name}
#   kill signal pid
# SOCKETSERVER_TEST_FORK chooses; by default TclX's where it can load (Tcl 8 with TclX
# installed), else the package's own. Source it after `package require socketserver`.
# TclX 8.4 is built for Tcl 8 only: under Tcl 9 loading it crashes the interpreter, so it is
# never tried there.
namespace eval ::t {
    # Whether TclX loads, asked of another interpreter: with the package's own fork, this
    # one must not have TclX (prefork would use TclX's fork where the script loaded TclX).
    variable forks [list socketserver]
    if {![package vsatisfies [package provide Tcl] 9-]} {
        set probe [interp create]
        $probe eval [list set ::auto_path $::auto_path]
        if {![catch {$probe eval {package require Tclx}}]} {
            set forks [list tclx socketserver]
        }
        interp delete $probe
    }
    variable fork [expr {[info exists ::env(SOCKETSERVER_TEST_FORK)] ? $::env(SOCKETSERVER_TEST_FORK)
        : [lindex $forks 0]}]
    if {$fork ni $forks} {
        error "SOCKETSERVER_TEST_FORK is \"$fork\": must be one of $forks"
    }
}
if {$::t::fork eq "tclx"} {
    package require Tclx
} else {
    namespace eval :: { namespace import ::socketserver::fork ::socketserver::wait }
    proc ::kill {signal pid} { exec kill -s $signal $pid }
}
