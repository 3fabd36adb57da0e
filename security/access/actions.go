package access

import (
	"strings"

	"github.com/hyper-nixos/hv/security/polkit"
)

// actions names hv's polkit actions for people, in the policy's order; vm
// marks those that make up managing VMs. A test keeps it in step with
// polkit.Actions.
var actions = []struct {
	id, word string
	vm       bool
}{
	{polkit.Read, "look", false},
	{polkit.VMLifecycle, "lifecycle", true},
	{polkit.VMCreate, "create", true},
	{polkit.VMEdit, "edit", true},
	{polkit.VMDelete, "delete", true},
	{polkit.VMDeleteStorage, "delete with disks", true},
	{polkit.VMConsole, "console", true},
	{polkit.VMMigrate, "migrate", false},
	{polkit.Snapshot, "snapshots", true},
	{polkit.Network, "networks", true},
	{polkit.Storage, "storage", true},
	{polkit.FeatureStage, "stage host changes", false},
	{polkit.AuditRead, "read the trail", false},
}

// Words names actions for people, in the policy's order, comma-separated.
func Words(ids []string) string {
	var out []string
	for _, a := range actions {
		for _, id := range ids {
			if id == a.id {
				out = append(out, a.word)
			}
		}
	}
	return strings.Join(out, ", ")
}

// vmActions splits hv's VM actions into those d grants and those it does not.
func vmActions(d Daemon) (granted, withheld []string) {
	for _, a := range actions {
		switch {
		case !a.vm:
		case d.Grants(a.id):
			granted = append(granted, a.id)
		default:
			withheld = append(withheld, a.id)
		}
	}
	return granted, withheld
}

// GrantsAll reports whether polkit grants this user every one of hv's
// actions, as hv's rule grants them to the operators group.
func GrantsAll(d Daemon) bool {
	for _, a := range actions {
		if !d.Grants(a.id) {
			return false
		}
	}
	return true
}
