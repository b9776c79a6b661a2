package server

/*
#include "../forksafe/protocol.h"
*/
import "C"

// isReady says whether msg is a worker's READY message (see forksafe/protocol.h).
func isReady(msg []byte) bool {
	return len(msg) == C.sizeof_struct_ss_ready_msg && msg[0] == C.SS_PROTOCOL_VERSION && msg[1] == C.SS_MSG_READY
}
