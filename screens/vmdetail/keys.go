package vmdetail

import (
	"charm.land/bubbles/v2/key"

	"github.com/hyper-nixos/hv/ui"
	"github.com/hyper-nixos/hv/ui/vmaction"
)

type keyMap struct{ Edit, Reload key.Binding }

// keys: the screen's own, beside the VM keys every screen showing a VM
// shares (vmaction.Keys).
var keys = keyMap{
	Edit:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit vCPUs and memory")),
	Reload: ui.Verbs.Reload,
}

func (k keyMap) ShortHelp() []key.Binding {
	v := vmaction.Keys
	return []key.Binding{v.Actions, v.Console, v.Snapshots, k.Edit}
}

func (k keyMap) FullHelp() [][]key.Binding {
	v := vmaction.Keys
	return [][]key.Binding{
		{v.Actions, v.Console, v.Snapshots, k.Edit, k.Reload},
		vmaction.Lifecycle(),
	}
}
