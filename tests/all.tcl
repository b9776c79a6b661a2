# all.tcl: runs every *.test file, each in its own tclsh (a test that forks must not take the
# runner with it), and exits non-zero if any test failed.
#   tclsh tests/all.tcl ?tcltest options? (e.g. -file fork.test -verbose bpe -constraints soak)
package require tcltest 2.5
namespace import ::tcltest::*

configure -testdir [file dirname [file normalize [info script]]] -singleproc 0 {*}$argv
if {![info exists ::env(SOCKETSERVER_BUILD)]} {
    set ::env(SOCKETSERVER_BUILD) [file normalize [file join [testsDirectory] .. build]]
}

# runAllTests prints the totals and then resets them: keep them from the hook it calls first.
proc tcltest::cleanupTestsHook {} {
    array set ::totals [array get ::tcltest::numTests]
    set ::failedFiles $::tcltest::failFiles
}
runAllTests
puts "Tcl [info patchlevel]: $::totals(Passed) passed, $::totals(Failed) failed, $::totals(Skipped) skipped"
exit [expr {$::totals(Failed) > 0 || [llength $::failedFiles] > 0 || $::totals(Total) == 0}]
