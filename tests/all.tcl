# all.tcl: runs every *.test file, each in its own tclsh (a test that forks must not take the
# runner with it), prints how many tests each constraint skipped, and exits non-zero if any
# test failed, a test file failed to run, or a test was skipped for a reason not allowed.
#   tclsh tests/all.tcl ?tcltest options? (e.g. -file fork.test -verbose bpe -constraints soak)
package require tcltest 2.5
namespace import ::tcltest::*

# The only skips that do not fail the run (README.md, "Tests", says why each is allowed): a
# test skipped for any other constraint lacks something the suite needs, and a skipped test
# is not a passed test. tcltest's own user* reasons are the subset the user asked for.
set allowedSkips {
    soak                   {opt-in: the long soak runs only when asked for (make soak)}
    localhostBoth          {host: "localhost" does not resolve to both 127.0.0.1 and ::1}
    userSpecifiedSkip      {asked for: -skip}
    userSpecifiedNonMatch  {asked for: -match, -file, -notfile}
    userSpecifiedLimitConstraint {asked for: -limitconstraints}
}
if {[package vsatisfies [info tclversion] 9-]} {
    dict set allowedSkips tclx {host: TclX is not built for Tcl 9}
    dict set allowedSkips tls {host: Debian 12 has no tcltls for Tcl 9 (Debian 13's needs OpenSSL 3.2)}
} else {
    dict set allowedSkips tcl9backlog {Tcl 8.6: its socket has no -backlog to compare with}
}

configure -testdir [file dirname [file normalize [info script]]] -singleproc 0 {*}$argv
if {![info exists ::env(SOCKETSERVER_BUILD)]} {
    set ::env(SOCKETSERVER_BUILD) [file normalize [file join [testsDirectory] .. build]]
}

# runAllTests adds up the children's totals and skips per constraint (from the lines each
# file's cleanupTests prints), prints them and then resets them: keep them from the hook it
# calls first.
proc tcltest::cleanupTestsHook {} {
    array set ::totals [array get ::tcltest::numTests]
    array set ::skippedBecause [array get ::tcltest::skippedBecause]
    set ::failedFiles $::tcltest::failFiles
}
set fileErrors [runAllTests]

set badSkips {}
puts "Skips per constraint:"
foreach constraint [lsort [array names skippedBecause]] {
    if {[dict exists $allowedSkips $constraint]} {
        set verdict "allowed ([dict get $allowedSkips $constraint])"
    } else {
        set verdict "NOT ALLOWED: install what it needs (scripts/deps.sh test) or fix the test"
        lappend badSkips $constraint
    }
    puts [format "%6d  %-20s %s" $skippedBecause($constraint) $constraint $verdict]
}
# tcltest counts a test left out by -match, -skip or -file without a constraint.
set notAskedFor [expr {$::totals(Skipped) - [tcl::mathop::+ 0 {*}[lmap {c n} [array get skippedBecause] {set n}]]}]
if {$notAskedFor > 0} {
    puts [format "%6d  %-20s %s" $notAskedFor "(not asked for)" "allowed (left out by -match or -skip)"]
} elseif {[array size skippedBecause] == 0} {
    puts "     0  (none)"
}
# One word before the counts, so the line reads as a closing line: which Tcl ran the suite.
puts "tcl[info patchlevel]: $::totals(Passed) passed, $::totals(Failed) failed, $::totals(Skipped) skipped"
if {[llength $badSkips] > 0} {
    puts "FAILED: tests skipped for [join $badSkips {, }]"
}
exit [expr {$::totals(Failed) > 0 || [llength $::failedFiles] > 0 || $fileErrors ||
            [llength $badSkips] > 0 || $::totals(Total) == 0}]
