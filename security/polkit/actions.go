package polkit

import "encoding/xml"

// The ids of hv's polkit actions, one per kind of request the daemon serves.
const (
	Read            = "org.hyper-nixos.read"
	VMLifecycle     = "org.hyper-nixos.vm.lifecycle"
	VMCreate        = "org.hyper-nixos.vm.create"
	VMEdit          = "org.hyper-nixos.vm.edit"
	VMDelete        = "org.hyper-nixos.vm.delete"
	VMDeleteStorage = "org.hyper-nixos.vm.delete-storage"
	VMConsole       = "org.hyper-nixos.vm.console"
	VMMigrate       = "org.hyper-nixos.vm.migrate"
	Snapshot        = "org.hyper-nixos.snapshot"
	Network         = "org.hyper-nixos.network"
	Storage         = "org.hyper-nixos.storage"
	FeatureStage    = "org.hyper-nixos.feature.stage"
	AuditRead       = "org.hyper-nixos.audit.read"
)

// Action is one of hv's polkit actions. Description is for people reading
// the policy (pkaction); Message is what an authentication agent would
// show, though hv itself never asks interactively.
type Action struct {
	ID, Description, Message string
	// Mutating actions change the host; the others only show it.
	Mutating bool
	// Public actions are granted to every local user by polkit's defaults,
	// as libvirt grants its read-only monitor; the others are granted only
	// by a rule (nix/polkit/50-hyper-nixos.rules) or to root.
	Public bool
}

// Actions is the catalogue, the source of truth for the policy file
// nix/polkit/org.hyper-nixos.policy (a test keeps the two identical).
var Actions = []Action{
	{ID: Read, Public: true,
		Description: "Look at virtual machines, networks, storage, statistics and events",
		Message:     "Authentication is required to look at the virtual machines of this host"},
	{ID: VMLifecycle, Mutating: true,
		Description: "Start, shut down, reboot, force off, pause, resume and save virtual machines, set autostart and link state",
		Message:     "Authentication is required to start or stop a virtual machine"},
	{ID: VMCreate, Mutating: true,
		Description: "Define new virtual machines and clone existing ones",
		Message:     "Authentication is required to create a virtual machine"},
	{ID: VMEdit, Mutating: true,
		Description: "Change the vCPUs, memory and devices of virtual machines",
		Message:     "Authentication is required to change a virtual machine"},
	{ID: VMDelete, Mutating: true,
		Description: "Delete virtual machines, keeping their disks",
		Message:     "Authentication is required to delete a virtual machine"},
	{ID: VMDeleteStorage, Mutating: true,
		Description: "Delete virtual machines together with their disks",
		Message:     "Authentication is required to delete a virtual machine and its disks"},
	{ID: VMConsole, Mutating: true,
		Description: "Attach to the console of virtual machines",
		Message:     "Authentication is required to use the console of a virtual machine"},
	{ID: VMMigrate, Mutating: true,
		Description: "Move virtual machines to another hv host, or accept them from one",
		Message:     "Authentication is required to move a virtual machine between hosts"},
	{ID: Snapshot, Mutating: true,
		Description: "Take, revert to and delete snapshots of virtual machines",
		Message:     "Authentication is required to manage the snapshots of a virtual machine"},
	{ID: Network, Mutating: true,
		Description: "Define, start, stop, autostart and undefine virtual networks",
		Message:     "Authentication is required to manage virtual networks"},
	{ID: Storage, Mutating: true,
		Description: "Manage storage pools and volumes",
		Message:     "Authentication is required to manage storage pools and volumes"},
	{ID: FeatureStage, Mutating: true,
		Description: "Stage a change to the host file and start applying it",
		Message:     "Authentication is required to change the configuration of this host"},
	{ID: AuditRead,
		Description: "Read and verify the audit trail",
		Message:     "Authentication is required to read the audit trail"},
}

// Policy is the polkit action file for Actions, as installed in
// /usr/share/polkit-1/actions/org.hyper-nixos.policy. Public actions are
// allowed to everyone; the rest default to auth_admin for active local
// sessions and no elsewhere, which for hv (it never asks interactively)
// means "not authorised unless a rule grants it".
func Policy() []byte {
	type defaults struct {
		Any      string `xml:"allow_any"`
		Inactive string `xml:"allow_inactive"`
		Active   string `xml:"allow_active"`
	}
	type action struct {
		ID          string   `xml:"id,attr"`
		Description string   `xml:"description"`
		Message     string   `xml:"message"`
		Defaults    defaults `xml:"defaults"`
	}
	doc := struct {
		XMLName   xml.Name `xml:"policyconfig"`
		Vendor    string   `xml:"vendor"`
		VendorURL string   `xml:"vendor_url"`
		Actions   []action `xml:"action"`
	}{Vendor: "Hyper-NixOS", VendorURL: "https://github.com/hyper-nixos/hv"}
	for _, a := range Actions {
		d := defaults{"no", "no", "auth_admin"}
		if a.Public {
			d = defaults{"yes", "yes", "yes"}
		}
		doc.Actions = append(doc.Actions, action{a.ID, a.Description, a.Message, d})
	}
	body, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // fixed types: cannot fail
	}
	const header = xml.Header + `<!DOCTYPE policyconfig PUBLIC
 "-//freedesktop//DTD PolicyKit Policy Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/PolicyKit/1/policyconfig.dtd">
<!-- Generated from security/polkit/actions.go (go test ./security/polkit -update): do not edit. -->
`
	return append(append([]byte(header), body...), '\n')
}
