package api

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/hyper-nixos/hv/security/phase"
)

// Reference is docs/api.md: every route of the table with its action,
// what the permission matrix decides, and its bodies' fields, read from
// the Go types themselves (a test keeps the file in step).
func Reference() string {
	var b strings.Builder
	b.WriteString(`# The hv daemon's API (` + Version + `)

Generated from ` + "`vm/api`" + ` by ` + "`go test ./vm/api -run TestReference -update`" + `; do not edit.

The hv daemon (` + "`hv daemon`" + `, root, started by ` + "`hv.socket`" + `) serves JSON over HTTP/1.1 on the unix
socket ` + "`" + DefaultSocket + "`" + ` (` + "`$" + SocketEnv + "`" + ` overrides it). Every local user may connect; each request is
authorised for the calling process, identified by the socket's peer credentials, by polkit (the
action below; ` + "`org.hyper-nixos.read`" + ` is everyone's by default, the rest the operators group's by hv's
rule). A change the security phase asks about must carry the answer: the header ` + "`" + HeaderConfirm + "`" + ` says
how it was given (` + "`dialog`, `prompt`, `--yes`" + `), ` + "`" + HeaderConfirmName + "`" + ` carries the name typed for a name
question, and ` + "`" + HeaderBulk + "`" + ` how many VMs the one answer covers. Bodies are decoded strictly: a field
not listed here is refused by name. Disks and install media are volumes of pools the host file
approves (` + "`{\"pool\": ..., \"name\": ...}`" + `), never host paths.

Errors come as ` + "`{\"error\": {\"kind\", \"message\", \"op\", \"target\", \"detail\", \"fix\", ...}}`" + ` with kind one of
` + "`not-found` (404), `exists` (409), `invalid-state` (409), `denied` (403), `phase` (403: the security\nphase refuses; `why`), `policy` (403: the payload policy refuses; `rule`), `confirm` (428: answer\n`question` first), `invalid-arg` (400), `unsupported` (501), `conn-lost` (503), `timeout` (504),\n`failed` (500)" + `. A call that ends with no reply body answers 204.

    curl --unix-socket ` + DefaultSocket + ` http://hv/v1/vms
    curl --unix-socket ` + DefaultSocket + ` -X POST -H 'Hv-Confirm: --yes' http://hv/v1/vms/web-01/shutdown
    curl --unix-socket ` + DefaultSocket + ` -N http://hv/v1/events

`)
	section := ""
	for _, r := range Routes {
		if s := sectionOf(r.Name); s != section {
			section = s
			fmt.Fprintf(&b, "## %s\n\n", s)
		}
		fmt.Fprintf(&b, "### `%s %s`\n\n%s.\n\n", r.Method, r.Path, r.Summary)
		fmt.Fprintf(&b, "- name: `%s`; polkit action: `%s`\n", r.Name, r.Action)
		if r.Op.Kind != "" {
			setup := phase.Decide(phase.Setup, r.Op, phase.Operator)
			hardened := phase.Decide(phase.Hardened, r.Op, phase.Operator)
			fmt.Fprintf(&b, "- permission matrix: `%s`, %s risk; setup: %s; hardened: %s\n", r.Op.Kind, r.Op.Risk, verdict(setup), verdict(hardened))
		}
		if r.In != nil {
			fmt.Fprintf(&b, "- request body: %s\n", fields(reflect.TypeOf(r.In)))
		}
		switch r.Reply {
		case Lines:
			fmt.Fprintf(&b, "- reply: newline-delimited JSON, one %s a line\n", fields(reflect.TypeOf(r.Out)))
		case Upgrade:
			fmt.Fprintf(&b, "- reply: `101 Switching Protocols` to `%s`, then raw bytes both ways\n", UpgradeConsole)
		default:
			if r.Out != nil {
				fmt.Fprintf(&b, "- reply: %s\n", fields(reflect.TypeOf(r.Out)))
			} else {
				b.WriteString("- reply: 204, no body\n")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func sectionOf(name string) string {
	switch {
	case strings.HasPrefix(name, "vm.snapshot"):
		return "Snapshots"
	case strings.HasPrefix(name, "vm."):
		return "Virtual machines"
	case strings.HasPrefix(name, "net."):
		return "Networks"
	case strings.HasPrefix(name, "pool.") || strings.HasPrefix(name, "volume."):
		return "Storage"
	case strings.HasPrefix(name, "host.") || strings.HasPrefix(name, "audit."):
		return "Host file and audit trail"
	}
	return "The daemon"
}

// verdict is a matrix rule in words, with what a typed command must answer.
func verdict(r phase.Rule) string {
	switch {
	case r.Refused():
		return "refused (" + r.Why + ")"
	case r.Typed == phase.TypeName:
		return "asks the name (" + HeaderConfirmName + ")"
	case r.Typed == phase.YesNo:
		return "asks yes/no (" + HeaderConfirm + ")"
	}
	return "allowed"
}

// fields describes a body's JSON: an object's fields with their types, a
// list of such, or a value.
func fields(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "an array of " + fields(t.Elem())
	case reflect.Struct:
		if t.PkgPath() == "time" {
			return "an RFC 3339 time"
		}
		var fs []string
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				if f.Anonymous {
					fs = append(fs, strings.TrimPrefix(strings.TrimSuffix(fields(f.Type), "}`"), "`{"))
					continue
				}
				name = f.Name
			}
			fs = append(fs, name+": "+typeName(f.Type))
		}
		return "`{" + strings.Join(fs, ", ") + "}`"
	}
	return "`" + typeName(t) + "`"
}

func typeName(t reflect.Type) string {
	switch {
	case t.Kind() == reflect.Pointer:
		return typeName(t.Elem())
	case t.Kind() == reflect.Slice:
		return "[" + typeName(t.Elem()) + "]"
	case t.Kind() == reflect.Map:
		return "{" + typeName(t.Key()) + ": " + typeName(t.Elem()) + "}"
	case t.Implements(textMarshaler) || t.PkgPath() == "time":
		return "string"
	case t.Kind() == reflect.Struct:
		return t.Name()
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() == reflect.String:
		return "string"
	}
	return "number"
}

var textMarshaler = reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()
