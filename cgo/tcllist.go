package cgo

import "strings"

// tclList formats words as a Tcl list, backslash-quoting what Tcl would otherwise read as
// syntax. Used for -errorcode values, which may contain user input (a -myaddr host name).
func tclList(words ...string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w == "" {
			b.WriteString("{}")
			continue
		}
		for _, r := range w {
			switch r {
			case ' ', '{', '}', '[', ']', '$', '"', ';', '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case '\t':
				b.WriteString(`\t`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			default:
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}
