package daemon

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/libvirt"
)

// The payload policy: what operators may make the host reach. Specs are
// typed (no XML, no paths), and what they name must lie in a storage pool
// under a root the host file approves. The daemon checks a request before
// it runs, and vm/libvirt checks the final definition again (Guard), so
// that a clone of a hand-made VM cannot carry a host file in either.

// Roots are the directories under which pools, and so the volumes VMs
// use, are approved. A path is inside when it is, with every symbolic
// link resolved, one of them or below one.
type Roots []string

// holds reports whether path lies under one of the roots. A path that
// does not exist yet is judged by its nearest existing parent, resolved.
func (rs Roots) holds(path string) bool {
	if !filepath.IsAbs(path) || filepath.Clean(path) != path {
		return false
	}
	real, err := resolve(path)
	if err != nil {
		return false
	}
	for _, root := range rs {
		r, err := resolve(filepath.Clean(root))
		if err != nil {
			continue
		}
		if real == r || strings.HasPrefix(real, r+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// resolve is filepath.EvalSymlinks for a path that may not exist yet: its
// deepest existing ancestor is resolved and the rest appended.
func resolve(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err == nil {
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	parent := filepath.Dir(path)
	if parent == path {
		return "", err
	}
	base, err := resolve(parent)
	if err != nil {
		return "", err
	}
	return filepath.Join(base, filepath.Base(path)), nil
}

// approvedRule is what a refusal of the policy says, with its remedy.
const (
	ruleRoots   = "disks, images and pools must lie under a pool root the host file approves (storage.images_dir, storage.pool_roots)"
	remedyRoots = "use a volume of an approved pool ('hv pool list'); an administrator approves more roots in the host file"
)

// pool checks that pool name is approved: a directory pool under a root.
func (s *Server) pool(ctx context.Context, rules Rules, op, target, name string) (vm.Pool, error) {
	p, err := s.HV.Pool(ctx, name)
	if err != nil {
		return p, err
	}
	switch p.Type {
	case "dir", "fs", "netfs":
	default:
		return p, &vm.Refusal{Op: op, Target: target, Rule: "pool " + name + " is a " + p.Type + " pool: operators use directory pools only",
			Remedy: "use a directory pool under an approved root, or ask root to do this"}
	}
	if !rules.Roots.holds(p.Path) {
		return p, &vm.Refusal{Op: op, Target: target, Rule: "pool " + name + " (" + p.Path + ") is not under an approved root: " + ruleRoots, Remedy: remedyRoots}
	}
	return p, nil
}

// volume checks that r is a volume of an approved pool.
func (s *Server) volume(ctx context.Context, rules Rules, op, target string, r vm.VolumeRef) error {
	if r.IsZero() {
		return nil
	}
	if _, err := s.pool(ctx, rules, op, target, r.Pool); err != nil {
		return err
	}
	_, err := vm.FindVolume(ctx, s.HV, r)
	return err
}

// poolPath checks a new pool's directory.
func poolPath(rules Rules, spec vm.PoolSpec) error {
	if err := vm.CheckPoolSpec(spec); err != nil {
		return err
	}
	if !rules.Roots.holds(spec.Path) {
		return &vm.Refusal{Op: "define pool", Target: spec.Name, Rule: spec.Path + " is not under an approved root: " + ruleRoots, Remedy: remedyRoots}
	}
	return nil
}

// guard is vm/libvirt's last check of a definition: every disk a file
// under an approved root, nothing else of the host reached.
func guard(rules func() (Rules, error)) libvirt.Guard {
	return func(r libvirt.Reach) error {
		if len(r.Other) > 0 {
			return &vm.Refusal{Op: "define", Rule: "a VM may not have " + strings.Join(r.Other, ", "),
				Remedy: "operators define VMs from volumes, networks and a serial console; root can add the rest"}
		}
		rs, err := rules()
		if err != nil {
			return err
		}
		for _, path := range r.Disks {
			if info, err := os.Stat(path); err == nil && info.Mode()&fs.ModeDevice != 0 {
				return &vm.Refusal{Op: "define", Rule: "a disk may not be a host device (" + path + ")", Remedy: remedyRoots}
			}
			if !rs.Roots.holds(path) {
				return &vm.Refusal{Op: "define", Rule: "a disk may not be " + path + ": " + ruleRoots, Remedy: remedyRoots}
			}
		}
		return nil
	}
}
