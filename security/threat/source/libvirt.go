package source

import (
	"fmt"
	"strings"

	"github.com/hyper-nixos/hv/security/threat"
	"github.com/hyper-nixos/hv/vm"
)

// EventProgram is the program name libvirt event records carry, which
// the rules in content/threat/rules/60-libvirt-events.toml match.
const EventProgram = "hv-libvirt"

// EventRecord turns a hypervisor event into a record. The VM name comes
// last: its owner chose it, and nothing after it is parsed.
func EventRecord(e vm.Event) threat.Record {
	detail := strings.ReplaceAll(e.Detail, "=", ":") // keep the detail field unambiguous
	msg := fmt.Sprintf("%s detail=%s vm=%s", e.Kind, detail, e.Name)
	if e.Kind == vm.EventConnLost || e.Kind == vm.EventReconnected {
		msg = fmt.Sprintf("%s detail=%s", e.Kind, detail)
	}
	return threat.Record{Time: e.At, Program: EventProgram, Message: msg, Source: "libvirt"}
}
