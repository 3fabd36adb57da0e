package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
)

// exitCodes says what each exit status means, in the help, the manual and
// the reference: one text for all of them.
const exitCodes = "Exit status: 0 done; 1 refused or failed (a name the host does not have, a rule of the security\n" +
	"phase, libvirt's refusal, an action that failed or a VM skipped); 2 the command line is wrong (an\n" +
	"unknown command, flag or built-in word such as a feature, preset, phase, level, tutorial or topic;\n" +
	"a bad value; a question a script must answer with --yes)."

// exitWith reports err, which cmd returned, on stderr: one line that names
// the fix, or with --json one JSON object; it returns the exit status.
func exitWith(cmd *cobra.Command, err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ue usageError
	var ny needsYes
	if errors.As(err, &ue) || errors.As(err, &ny) {
		code = exitUsage
	}
	var silent silentError
	switch {
	case errors.As(err, &silent):
	case jsonAsked(cmd):
		fix := vm.Fix(err)
		if errors.As(err, &ue) {
			fix = "see '" + cmd.CommandPath() + " --help'"
		}
		writeJSONLine(stderr, errorJSON{Error: err.Error(), Fix: fix, Exit: code})
	case errors.As(err, &ue):
		line := "hv: " + termsafe.String(err.Error())
		if fix := vm.Fix(err); fix != "" {
			line += "; fix: " + termsafe.String(fix)
		}
		fmt.Fprintln(stderr, line+" (see '"+cmd.CommandPath()+" --help')")
	default:
		fmt.Fprintln(stderr, errorLine(err))
	}
	return code
}

// errorJSON is an error as a command run with --json reports it.
type errorJSON struct {
	Error string `json:"error"`
	Fix   string `json:"fix,omitempty"`
	Exit  int    `json:"exit"`
}

// jsonAsked reports whether cmd was run with --json.
func jsonAsked(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("json")
	return f != nil && f.Value.String() == "true"
}

// writeJSONLine writes v as one line of JSON, escaped as writeJSON does.
func writeJSONLine(w io.Writer, v any) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	io.WriteString(w, escapeUnsafe(b.String()))
}

// didYouMean is ` (did you mean "x"?)` for the word of among nearest to
// word, when one is near enough to be a typo; "" otherwise.
func didYouMean(word string, among []string) string {
	best, dist := "", 3 // a typo: two edits at most
	for _, w := range among {
		if d := distance(strings.ToLower(word), strings.ToLower(w)); d < dist {
			best, dist = w, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// flagError is a flag the command does not take, or a bad value for one,
// as a usage error; an unknown flag near one it takes says which.
func flagError(cmd *cobra.Command, err error) error {
	if name, ok := strings.CutPrefix(err.Error(), "unknown flag: --"); ok {
		var names []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		return usageError{errors.New(err.Error() + didYouMean(name, names))}
	}
	return usageError{err}
}
