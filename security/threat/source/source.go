// Package source reads what threat detection looks at: the systemd
// journal (from a saved cursor, so nothing is missed or read twice across
// restarts), plain log files (followed across rotation and truncation),
// libvirt events, and VM metrics from one bulk statistics call.
package source

import "github.com/hyper-nixos/hv/security/threat"

// Item is one thing read: a raw syslog line from a file, or a record that
// arrived already split (journal, libvirt). Position, when set, is where
// to resume after this item (a journal cursor, a file offset).
type Item struct {
	Line     []byte
	Record   *threat.Record
	Source   string
	Position string
}
