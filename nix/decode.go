package nix

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// FileError is a file hv cannot use as it is: where it went wrong (line and
// column when known), what, and what to do about it.
type FileError struct {
	What         string // "the host file /etc/hyper-nixos/host.toml"
	Line, Column int    // 0 when the problem is not at one place
	Problem      string
	Remedy       string
	Err          error // a sentinel such as ErrVersion, for errors.Is; may be nil
}

func (e *FileError) Unwrap() error { return e.Err }

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.What)
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d, column %d", e.Line, e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

// Fix is the remedy, for vm.Fix and the UI's footer.
func (e *FileError) Fix() string { return e.Remedy }

// decodeStrict decodes TOML into v, which may hold defaults already.
// Unknown keys, wrong types and datetimes are FileErrors with a position.
func decodeStrict(what string, data []byte, v any) error {
	if err := rejectDatetimes(what, data); err != nil {
		return err
	}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(what, err)
	}
	return nil
}

// decodeError turns go-toml's errors into a FileError.
func decodeError(what string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		first := strict.Errors[0]
		line, col := first.Position()
		problem := fmt.Sprintf("unknown key %q", strings.Join(first.Key(), "."))
		if n := len(strict.Errors) - 1; n > 0 {
			problem += fmt.Sprintf(" (and %d more)", n)
		}
		return &FileError{What: what, Line: line, Column: col, Problem: problem,
			Remedy: "remove the key or correct its spelling; the keys are documented in nix/README.md"}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return &FileError{What: what, Line: line, Column: col,
			Problem: plainDecodeProblem(de),
			Remedy:  "correct the TOML at that place"}
	}
	return &FileError{What: what, Problem: err.Error(), Remedy: "correct the file"}
}

var typeMismatch = regexp.MustCompile(`^cannot decode TOML (.+) into .* of type (.+)$`)

// typeNames says Go types as the catalog and host file documentation does.
var typeNames = map[string]string{
	"string": "a string", "int": "an integer", "bool": "true or false",
	"[]string": "a list of strings", "[]int": "a list of integers",
}

// plainDecodeProblem rewords go-toml's type errors, which name Go structs,
// in the file's own terms.
func plainDecodeProblem(de *toml.DecodeError) string {
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	m := typeMismatch.FindStringSubmatch(msg)
	if m == nil || len(de.Key()) == 0 {
		return msg
	}
	want, ok := typeNames[m[2]]
	if !ok {
		want = "a TOML table"
	}
	return fmt.Sprintf("%q must be %s, not a TOML %s", strings.Join(de.Key(), "."), want, m[1])
}

// rejectDatetimes finds the first TOML date or time in data. NixOS's
// builtins.fromTOML rejects them, so a file with one would fail the
// rebuild long after hv accepted it: refuse it here, where it is cheap.
func rejectDatetimes(what string, data []byte) error {
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.KeyValue {
			continue
		}
		if n := findDatetime(e.Value()); n != nil {
			pos := p.Shape(n.Raw).Start
			return &FileError{What: what, Line: pos.Line, Column: pos.Column,
				Problem: fmt.Sprintf("%s is a TOML date or time, which NixOS's builtins.fromTOML cannot read", p.Raw(n.Raw)),
				Remedy:  fmt.Sprintf("quote it to make it a string: \"%s\"", p.Raw(n.Raw))}
		}
	}
	// A syntax error stops the scan; the decoder reports it with its position.
	return nil
}

func findDatetime(n *unstable.Node) *unstable.Node {
	switch n.Kind {
	case unstable.DateTime, unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime:
		return n
	case unstable.Array:
		for it := n.Children(); it.Next(); {
			if d := findDatetime(it.Node()); d != nil {
				return d
			}
		}
	case unstable.InlineTable:
		for it := n.Children(); it.Next(); {
			if kv := it.Node(); kv.Kind == unstable.KeyValue {
				if d := findDatetime(kv.Value()); d != nil {
					return d
				}
			}
		}
	}
	return nil
}
