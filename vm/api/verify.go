package api

import (
	"errors"

	"github.com/hyper-nixos/hv/security/audit"
)

// Verify checks the trail at log, as the daemon answers audit.verify and
// root's hv checks its own.
func Verify(log *audit.Log) Verification {
	v := Verification{Path: log.Path}
	n, err := log.Verify()
	v.Entries = n
	if err != nil {
		_, body := Encode(err)
		v.Problem = &body.Error
		var p *audit.Problem
		if errors.As(err, &p) {
			v.Line = p.Line
		}
		return v
	}
	v.Anchoring = log.Anchoring(n)
	return v
}

// Err is the problem as an error, or nil.
func (v Verification) Err() error {
	if v.Problem == nil {
		return nil
	}
	return Decode(*v.Problem)
}
