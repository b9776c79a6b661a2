# handlers.tcl: the echo handlers the socketserver benchmark servers use. Each is called as
# `handler chan ipaddr port` with exactly one connection, answers each line "PID line" and
# asks for the next connection (`::socketserver::socket client`) once it is done.
#
#   event_oneshot        the README pattern: fileevent readable, read the line, reply,
#                        close, re-arm.
#   event_persistent     event-driven, a reply per line until the client closes.
#   immediate_oneshot    gets, puts, close, re-arm at once.
#   immediate_persistent a reply per line in a loop until the client closes.
#
# A failure (a client gone early) is written to stderr and the worker re-arms anyway:
# the client counts it as an error of its own.

proc event_oneshot {chan ip port} {
    fconfigure $chan -buffering line
    fileevent $chan readable [list event_oneshot_read $chan]
}
proc event_oneshot_read {chan} {
    bench::echo_line $chan
    catch {close $chan}
    ::socketserver::socket client event_oneshot
}

proc event_persistent {chan ip port} {
    fconfigure $chan -buffering line
    fileevent $chan readable [list event_persistent_read $chan]
}
proc event_persistent_read {chan} {
    if {[bench::echo_line $chan]} { return }
    catch {close $chan}
    ::socketserver::socket client event_persistent
}

proc immediate_oneshot {chan ip port} {
    if {[catch {
        gets $chan line
        puts $chan "[pid] $line"
    } message]} { bench::report_error $message }
    catch {close $chan}
    ::socketserver::socket client immediate_oneshot
}

proc immediate_persistent {chan ip port} {
    if {[catch {
        fconfigure $chan -buffering line
        while {[gets $chan line] >= 0} { puts $chan "[pid] $line" }
    } message]} { bench::report_error $message }
    catch {close $chan}
    ::socketserver::socket client immediate_persistent
}
