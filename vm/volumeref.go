package vm

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// VolumeRef names a volume by its pool. Disks and install media are given
// to hv this way, never as host paths: the hv daemon lets operators reach
// only volumes of the pools the host file approves, and a path could name
// any file of the host.
type VolumeRef struct {
	Pool string `json:"pool"`
	Name string `json:"name"`
}

// IsZero reports whether r names no volume.
func (r VolumeRef) IsZero() bool { return r == VolumeRef{} }

// String is the reference as typed on the command line: POOL/NAME.
func (r VolumeRef) String() string {
	if r.IsZero() {
		return ""
	}
	return r.Pool + "/" + r.Name
}

// Ref is the reference of a volume.
func (v Volume) Ref() VolumeRef { return VolumeRef{Pool: v.Pool, Name: v.Name} }

// ParseVolumeRef reads POOL/NAME, as 'hv pool volumes' lists them.
func ParseVolumeRef(s string) (VolumeRef, error) {
	pool, name, ok := strings.Cut(s, "/")
	if !ok || pool == "" || name == "" || strings.Contains(name, "/") {
		return VolumeRef{}, &Error{Op: "find volume", Target: s, Kind: ErrInvalidArg,
			Detail: fmt.Sprintf("%q is not POOL/VOLUME", s), Hint: "name a volume as 'hv pool volumes POOL' lists it, e.g. default/debian.iso"}
	}
	return VolumeRef{Pool: pool, Name: name}, nil
}

// FindVolume looks r up among its pool's volumes.
func FindVolume(ctx context.Context, h Storage, r VolumeRef) (Volume, error) {
	vols, err := h.Volumes(ctx, r.Pool)
	if err != nil {
		return Volume{}, err
	}
	for _, v := range vols {
		if v.Name == r.Name {
			return v, nil
		}
	}
	return Volume{}, &Error{Op: "find volume", Target: r.String(), Kind: ErrNotFound,
		Detail: "pool " + r.Pool + " has no volume " + r.Name, Hint: "check the name with 'hv pool volumes " + r.Pool + "'"}
}

// VolumeArg reads a volume as people name it: POOL/NAME, or the path of a
// volume in an active pool (looked up, so that only pool volumes pass).
func VolumeArg(ctx context.Context, h Storage, s string) (VolumeRef, error) {
	if !strings.HasPrefix(s, "/") {
		return ParseVolumeRef(s)
	}
	v, err := h.VolumeByPath(ctx, s)
	if err != nil {
		return VolumeRef{}, err
	}
	return v.Ref(), nil
}

// Attachable lists the volumes a VM may be given, in the order of their
// references: the ISOs of the active pools, shared read-only, and the
// disks no VM uses (two VMs writing one disk would corrupt it).
func Attachable(ctx context.Context, h Storage) ([]Volume, error) {
	pools, err := h.Pools(ctx)
	if err != nil {
		return nil, err
	}
	var out []Volume
	for _, p := range pools {
		if !p.Active {
			continue
		}
		vols, err := h.Volumes(ctx, p.Name)
		if err != nil {
			return nil, err
		}
		for _, v := range vols {
			if v.Format == "iso" || len(v.UsedBy) == 0 {
				out = append(out, v)
			}
		}
	}
	slices.SortFunc(out, func(a, b Volume) int { return strings.Compare(a.Ref().String(), b.Ref().String()) })
	return out, nil
}
