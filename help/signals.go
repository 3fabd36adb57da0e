package help

// Signal is something an operator did on a screen that a tutorial may wait
// for and that no hypervisor event shows: a filter applied, a topic read, a
// feature toggled. A screen sends it with ui.Signal(name, arg) once the
// thing has really happened (after the write succeeded, not on the key
// press). A test follows each tutorial with the keys it names, so a
// signal no screen sends cannot go unnoticed.
type Signal struct {
	Name   string
	Sender string // the screen that sends it (registry id); "" for the root app
	Arg    string // what the argument holds
}

// Signals is every signal a tutorial may wait for.
var Signals = []Signal{
	{"help-opened", "", "the registry id of the screen whose help '?' opened"},
	{"filter", "vms", "the filter kept (enter in the filter field), e.g. state:paused"},
	{"order", "vms", "the column the list is now ordered by: name, state, cpu..."},
	{"marked", "vms", "how many VMs are marked after space or *"},
	{"action-menu", "vms", "the VM whose action menu opened (x), also sent by vm"},
	{"snapshot-taken", "snapshots", "the VM's name, after the snapshot exists"},
	{"snapshot-reverted", "snapshots", "the VM's name, after the revert succeeded"},
	{"snapshot-deleted", "snapshots", "the VM's name, after the snapshot is gone"},
	{"topic", "help", "the id of the topic opened"},
	{"search", "help", "the search typed, once results show"},
	{"level", "help", "the level chosen: beginner, intermediate or expert"},

	{"feature-selected", "features", "the risk of the feature the cursor is on (minimal ... critical), once it is shown"},
	{"feature-toggled", "features", "the feature id, after the change is taken into the draft"},
	{"features-staged", "features", "the change staged (+id -id), once the host file is written"},
	{"features-applied", "features", "the apply result: ok or failed"},
	{"finding-opened", "threats", "the id of the rule behind the finding opened"},
	{"threats-filter", "threats", "the severity or filter applied, e.g. high"},
	{"wizard-step", "wizard", "the id of the wizard step completed"},
	{"phase-set", "wizard", "the security phase chosen: setup or hardened"},
}

// SignalByName finds a declared signal.
func SignalByName(name string) (Signal, bool) {
	for _, s := range Signals {
		if s.Name == name {
			return s, true
		}
	}
	return Signal{}, false
}
