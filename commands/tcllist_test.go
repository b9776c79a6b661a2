package commands

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"socketserver/pool"
)

// Words an -errorcode or a dict may carry: fixed ones, errno messages, and user input such
// as a -myaddr host name, which may contain anything Tcl treats as syntax.
var tclWords = []struct{ name, word string }{
	{"empty", ""},
	{"plain", "SOCKETSERVER"},
	{"host name", "no.such.host.invalid"},
	{"spaces", "address already in use"},
	{"leading and trailing spaces", " a "},
	{"balanced braces", "{a b}"},
	{"nested braces", "{{}}"},
	{"braces then text", "{a}b"},
	{"text around braces", "a{b}c"},
	{"open brace only", "{"},
	{"close brace only", "a}"},
	{"close before open", "}{"},
	{"backslash before a brace", `\{`},
	{"brackets", "[exit 1]"},
	{"dollar", "$env(HOME)"},
	{"double quote first", `"a`},
	{"quoted words", `"a b"`},
	{"semicolon", "a;b"},
	{"backslash", `a\b`},
	{"trailing backslash", `a\`},
	{"backslash before newline", "a\\\nb"},
	{"newline", "a\nb"},
	{"tab", "a\tb"},
	{"carriage return", "a\rb"},
	{"vertical tab", "a\vb"},
	{"form feed", "a\fb"},
	{"hash first", "#a"},
	{"hash inside", "a#b"},
	{"non-ASCII", "héllo wörld ✓"},
	{"everything", " {[$\"\\;\n\t]} "},
}

func TestTclListEmptyWordIsBraces(t *testing.T) {
	cases := []struct {
		words []string
		want  string
	}{
		{nil, ""},
		{[]string{""}, "{}"},
		{[]string{"a", "", "b"}, "a {} b"},
	}
	for _, tc := range cases {
		if got := tclList(tc.words...); got != tc.want {
			t.Errorf("tclList(%q) = %q, want %q", tc.words, got, tc.want)
		}
	}
}

// The rule tclList must keep: Tcl reads its result back as exactly the words it was given,
// one list element each. Checked by a real tclsh: every word alone, then all of them in
// one list, then as the first word of a list (where a leading # matters to some readers).
func TestTclListRoundTripsThroughTcl(t *testing.T) {
	tclsh := requireTclsh(t)
	var cases [][]string
	var names []string
	var all []string
	for _, w := range tclWords {
		cases = append(cases, []string{w.word}, []string{w.word, "after"})
		names = append(names, w.name, w.name+", then another word")
		all = append(all, w.word)
	}
	cases = append(cases, all, []string{"SOCKETSERVER", "RESOLVE", "bad host [name]"})
	names = append(names, "all words in one list", "a RESOLVE -errorcode")

	verdicts := tclVerdicts(t, tclsh, cases)
	for i, words := range cases {
		if verdicts[i] != "ok" {
			t.Errorf("%s: tclList(%q) = %q; tclsh: %s", names[i], words, tclList(words...), verdicts[i])
		}
	}
}

// tclVerdicts has tclsh parse tclList(words...) for each case and say "ok" when the list
// has exactly those elements. Lists and words go through files, so no quoting of ours
// stands between tclList and Tcl.
func tclVerdicts(t *testing.T, tclsh string, cases [][]string) []string {
	t.Helper()
	files := map[string]string{}
	for i, words := range cases {
		files[filepath.Join(strconv.Itoa(i), "list")] = tclList(words...)
		for j, w := range words {
			files[filepath.Join(strconv.Itoa(i), strconv.Itoa(j))] = w
		}
	}
	out := runTcl(t, tclsh, `
for {set i 0} {[file isdirectory [file join $dir $i]]} {incr i} {
    set case [file join $dir $i]
    set words {}
    for {set j 0} {[file exists [file join $case $j]]} {incr j} {
        lappend words [slurp [file join $case $j]]
    }
    set list [slurp [file join $case list]]
    if {[catch {llength $list} n]} {
        puts "$i not a list: $n"
        continue
    }
    if {$n != [llength $words]} {
        puts "$i $n elements, want [llength $words]"
        continue
    }
    set differ {}
    for {set k 0} {$k < $n} {incr k} {
        if {[lindex $list $k] ne [lindex $words $k]} {
            lappend differ $k
        }
    }
    if {[llength $differ]} {
        puts "$i elements $differ differ from the words given"
    } else {
        puts "$i ok"
    }
}`, files)
	verdicts := make([]string, len(cases))
	for i := range verdicts {
		verdicts[i] = "no verdict"
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		index, verdict, _ := strings.Cut(line, " ")
		i, err := strconv.Atoi(index)
		if err != nil || i < 0 || i >= len(cases) {
			t.Fatalf("unexpected tclsh output %q", line)
		}
		verdicts[i] = verdict
	}
	return verdicts
}

// A pool's info is a dict a script can take apart: every key, and each worker a dict of
// its own (none, one, or several).
func TestPoolInfoDictReadsBackInTcl(t *testing.T) {
	tclsh := requireTclsh(t)
	started := time.Unix(1700000000, 0)
	infos := []pool.Info{
		{Name: "pool1", Port: 8080, Size: 0, Stopping: true},
		{Name: "pool2", Port: 9090, Size: 2, Respawns: 3, Reloading: true, Workers: []pool.WorkerInfo{
			{PID: 101, Started: started, Served: 7, State: "running"},
			{PID: 102, Started: started.Add(time.Second), Served: 0, State: "starting"},
		}},
	}
	files := map[string]string{}
	for i, info := range infos {
		files[strconv.Itoa(i)] = poolInfoDict(info)
	}
	out := runTcl(t, tclsh, `
for {set i 0} {[file exists [file join $dir $i]]} {incr i} {
    set d [slurp [file join $dir $i]]
    set line [list [dict size $d]]
    foreach key {name port size respawns reloading stopping} { lappend line [dict get $d $key] }
    foreach w [dict get $d workers] {
        lappend line [dict get $w pid] [dict get $w started] [dict get $w served] [dict get $w state]
    }
    puts $line
}`, files)
	want := "7 pool1 8080 0 0 0 1\n" +
		"7 pool2 9090 2 3 1 0 101 1700000000 7 running 102 1700000001 0 starting\n"
	if out != want {
		t.Errorf("tclsh read the dicts as\n%s\nwant\n%s", out, want)
	}
}

func requireTclsh(t *testing.T) string {
	t.Helper()
	tclsh, err := exec.LookPath("tclsh")
	if err != nil {
		t.Skip("no tclsh on PATH")
	}
	return tclsh
}

// runTcl writes files (paths relative to a temporary directory) and runs body in tclsh
// with $dir set to that directory and [slurp path] reading a file exactly as written.
// It returns what the script printed.
func runTcl(t *testing.T, tclsh, body string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `
proc slurp {path} {
    set ch [open $path r]
    fconfigure $ch -encoding utf-8 -translation lf
    set data [read $ch]
    close $ch
    return $data
}
set dir [lindex $argv 0]
` + body
	scriptPath := filepath.Join(t.TempDir(), "script.tcl")
	if err := os.WriteFile(scriptPath, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tclsh, scriptPath, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("tclsh: %v\n%s", err, out)
	}
	return string(out)
}
