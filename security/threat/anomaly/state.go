package anomaly

import (
	"encoding/json"
	"fmt"
	"io"
)

// stateVersion changes when the saved form does.
const stateVersion = 1

type savedState struct {
	Version int                 `json:"version"`
	VMs     map[string]*VMState `json:"vms"`
}

// Save writes every baseline as JSON.
func (d *Detector) Save(w io.Writer) error {
	return json.NewEncoder(w).Encode(savedState{Version: stateVersion, VMs: d.VMs})
}

// Load replaces the baselines with saved ones. State of another version is
// refused rather than misread: the detector then learns afresh.
func (d *Detector) Load(r io.Reader) error {
	var s savedState
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return fmt.Errorf("anomaly state: %w", err)
	}
	if s.Version != stateVersion {
		return fmt.Errorf("anomaly state: version %d, want %d (it will be learnt again)", s.Version, stateVersion)
	}
	for name, st := range s.VMs {
		for _, m := range st.Metrics {
			if m == nil {
				continue
			}
			if len(m.Profile) != d.cfg.Days || len(m.Peak) != d.cfg.Days {
				return fmt.Errorf("anomaly state: VM %q has %d days of profile, want %d", name, len(m.Profile), d.cfg.Days)
			}
			for _, row := range append(m.Profile, m.Peak...) {
				if len(row) != buckets {
					return fmt.Errorf("anomaly state: VM %q has a malformed profile", name)
				}
			}
		}
	}
	if s.VMs == nil {
		s.VMs = map[string]*VMState{}
	}
	d.VMs = s.VMs
	return nil
}
