package commands

import "strings"

// tclList formats words as a Tcl list, as Tcl itself would: a word with no special
// characters as it is, one with balanced braces and no backslash in braces, anything else
// backslash-quoted. Used for -errorcode values (which may hold user input, like a -myaddr
// host name) and for the dicts Go builds.
func tclList(words ...string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch {
		case w == "":
			b.WriteString("{}")
		case !strings.ContainsAny(w, " \t\n\r\v\f{}[]$\";\\#"):
			b.WriteString(w)
		case braceable(w):
			b.WriteByte('{')
			b.WriteString(w)
			b.WriteByte('}')
		default:
			backslashQuote(&b, w)
		}
	}
	return b.String()
}

// braceable says whether {w} reads back as w: its braces balance and it has no backslash.
func braceable(w string) bool {
	depth := 0
	for _, r := range w {
		switch r {
		case '\\':
			return false
		case '{':
			depth++
		case '}':
			if depth--; depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

func backslashQuote(b *strings.Builder, w string) {
	for i, r := range w {
		switch r {
		case ' ', '{', '}', '[', ']', '$', '"', ';', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '#':
			if i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\v':
			b.WriteString(`\v`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteRune(r)
		}
	}
}
