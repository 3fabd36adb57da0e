package daemon

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/api"
)

// maxBody bounds a request body: specs are a few hundred bytes.
const maxBody = 1 << 20

// decode reads the request body strictly: a field the API does not have
// (a path, raw XML) is refused by name, never ignored.
func decode[T any](c *call) (T, error) {
	var v T
	dec := json.NewDecoder(io.LimitReader(c.r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, &vm.Error{Op: c.route.Name, Target: c.target(), Kind: vm.ErrInvalidArg, Detail: "the request body: " + err.Error(),
			Hint: "send the JSON body docs/api.md gives for " + c.route.Method + " " + c.route.Path + " (disks and media are volumes {\"pool\", \"name\"}, never paths)"}
	}
	if dec.More() {
		return v, &vm.Error{Op: c.route.Name, Kind: vm.ErrInvalidArg, Detail: "the request body holds more than one JSON value"}
	}
	return v, nil
}

func reply(c *call, v any, err error) error {
	if err != nil {
		return err
	}
	return replyJSON(c, v)
}

func replyJSON(c *call, v any) error {
	api.Write(c.w, http.StatusOK, v)
	return nil
}

func done(c *call, err error) error {
	if err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func when(c *call, a vm.Applied, err error) error { return reply(c, api.When{Applied: a}, err) }

func (s *Server) handlers() map[string]handler {
	ref := func(c *call) string { return c.path("ref") }
	lifecycle := func(f func(h vm.Hypervisor, c *call) error) handler {
		return func(s *Server, c *call) error { return done(c, f(c.hv, c)) }
	}
	return map[string]handler{
		"whoami": (*Server).whoami,
		"host":   func(s *Server, c *call) error { h, err := s.HV.Host(c.ctx); return reply(c, h, err) },
		"vm.list": func(s *Server, c *call) error {
			vms, err := s.HV.List(c.ctx)
			return reply(c, nonNil(vms), err)
		},
		"vm.lookup":  func(s *Server, c *call) error { v, err := s.HV.Lookup(c.ctx, ref(c)); return reply(c, v, err) },
		"vm.details": func(s *Server, c *call) error { d, err := s.HV.Details(c.ctx, ref(c)); return reply(c, d, err) },
		"vm.addresses": func(s *Server, c *call) error {
			a, err := s.HV.Addresses(c.ctx, ref(c))
			return reply(c, nonNil(a), err)
		},
		"vm.stats": func(s *Server, c *call) error {
			st, err := s.stats.read(c.ctx, s.HV)
			return reply(c, nonNil(st), err)
		},
		"events": (*Server).streamEvents,

		"vm.define": func(s *Server, c *call) error {
			spec, err := decode[vm.Spec](c)
			if err != nil {
				return err
			}
			for _, d := range spec.Disks {
				if err := s.volume(c.ctx, c.rules, "define", spec.Name, d.Volume); err != nil {
					return err
				}
			}
			if err := s.volume(c.ctx, c.rules, "define", spec.Name, spec.ISO); err != nil {
				return err
			}
			v, err := c.hv.Define(c.ctx, spec)
			return reply(c, v, err)
		},
		"vm.clone": func(s *Server, c *call) error {
			req, err := decode[api.CloneReq](c)
			if err != nil {
				return err
			}
			for _, r := range req.Disks {
				if err := s.volume(c.ctx, c.rules, "clone", ref(c), r); err != nil {
					return err
				}
			}
			v, err := c.hv.DefineClone(c.ctx, ref(c), req.Name, req.Disks)
			return reply(c, v, err)
		},
		"vm.start":     lifecycle(func(h vm.Hypervisor, c *call) error { return h.Start(c.ctx, ref(c)) }),
		"vm.shutdown":  lifecycle(func(h vm.Hypervisor, c *call) error { return h.Shutdown(c.ctx, ref(c)) }),
		"vm.reboot":    lifecycle(func(h vm.Hypervisor, c *call) error { return h.Reboot(c.ctx, ref(c)) }),
		"vm.force-off": lifecycle(func(h vm.Hypervisor, c *call) error { return h.Destroy(c.ctx, ref(c)) }),
		"vm.pause":     lifecycle(func(h vm.Hypervisor, c *call) error { return h.Pause(c.ctx, ref(c)) }),
		"vm.resume":    lifecycle(func(h vm.Hypervisor, c *call) error { return h.Resume(c.ctx, ref(c)) }),
		"vm.save":      lifecycle(func(h vm.Hypervisor, c *call) error { return h.Save(c.ctx, ref(c)) }),
		"vm.delete":    lifecycle(func(h vm.Hypervisor, c *call) error { return h.Undefine(c.ctx, ref(c)) }),
		"vm.delete-storage": func(s *Server, c *call) error {
			if err := s.ownDisks(c); err != nil {
				return err
			}
			return done(c, c.hv.DeleteWithStorage(c.ctx, ref(c)))
		},
		"vm.autostart": func(s *Server, c *call) error {
			b, err := decode[api.OnOff](c)
			if err != nil {
				return err
			}
			return done(c, c.hv.SetAutostart(c.ctx, ref(c), b.On))
		},
		"vm.links": func(s *Server, c *call) error {
			b, err := decode[api.LinksUp](c)
			if err != nil {
				return err
			}
			return done(c, c.hv.SetLinks(c.ctx, ref(c), b.Up))
		},
		"vm.set.vcpus": func(s *Server, c *call) error {
			b, err := decode[api.Count](c)
			if err != nil {
				return err
			}
			a, err := c.hv.SetVCPUs(c.ctx, ref(c), b.N)
			return when(c, a, err)
		},
		"vm.set.memory": func(s *Server, c *call) error {
			b, err := decode[api.MiB](c)
			if err != nil {
				return err
			}
			a, err := c.hv.SetMemory(c.ctx, ref(c), b.MiB)
			return when(c, a, err)
		},
		"vm.disk.attach": func(s *Server, c *call) error {
			spec, err := decode[vm.DiskSpec](c)
			if err != nil {
				return err
			}
			if spec.Volume.IsZero() {
				return &vm.Error{Op: "attach a disk to", Target: ref(c), Kind: vm.ErrInvalidArg, Detail: "the disk's volume is required"}
			}
			if err := s.volume(c.ctx, c.rules, "attach a disk to", ref(c), spec.Volume); err != nil {
				return err
			}
			a, err := c.hv.AttachDisk(c.ctx, ref(c), spec)
			return when(c, a, err)
		},
		"vm.disk.detach": func(s *Server, c *call) error {
			a, err := c.hv.DetachDisk(c.ctx, ref(c), c.path("target"))
			return when(c, a, err)
		},
		"vm.nic.attach": func(s *Server, c *call) error {
			spec, err := decode[vm.NICSpec](c)
			if err != nil {
				return err
			}
			a, err := c.hv.AttachNIC(c.ctx, ref(c), spec)
			return when(c, a, err)
		},
		"vm.nic.detach": func(s *Server, c *call) error {
			a, err := c.hv.DetachNIC(c.ctx, ref(c), c.path("mac"))
			return when(c, a, err)
		},
		"vm.console": (*Server).console,

		"vm.migrate":        (*Server).migrate,
		"vm.migrate.accept": (*Server).acceptMigration,
		"migration.claim":   (*Server).claimMigration,
		"migration.finish":  (*Server).finishMigration,

		"vm.snapshot.list": func(s *Server, c *call) error {
			l, err := s.HV.Snapshots(c.ctx, ref(c))
			return reply(c, nonNil(l), err)
		},
		"vm.snapshot.create": func(s *Server, c *call) error {
			spec, err := decode[vm.SnapshotSpec](c)
			if err != nil {
				return err
			}
			snap, err := c.hv.CreateSnapshot(c.ctx, ref(c), spec)
			return reply(c, snap, err)
		},
		"vm.snapshot.revert": lifecycle(func(h vm.Hypervisor, c *call) error { return h.RevertSnapshot(c.ctx, ref(c), c.path("name")) }),
		"vm.snapshot.delete": lifecycle(func(h vm.Hypervisor, c *call) error { return h.DeleteSnapshot(c.ctx, ref(c), c.path("name")) }),

		"net.list": func(s *Server, c *call) error {
			l, err := s.HV.Networks(c.ctx)
			return reply(c, nonNil(l), err)
		},
		"net.get": func(s *Server, c *call) error { n, err := s.HV.Network(c.ctx, c.path("name")); return reply(c, n, err) },
		"net.leases": func(s *Server, c *call) error {
			l, err := s.HV.Leases(c.ctx, c.path("name"))
			return reply(c, nonNil(l), err)
		},
		"net.define": func(s *Server, c *call) error {
			spec, err := decode[vm.NetworkSpec](c)
			if err != nil {
				return err
			}
			n, err := c.hv.DefineNetwork(c.ctx, spec)
			return reply(c, n, err)
		},
		"net.start":    lifecycle(func(h vm.Hypervisor, c *call) error { return h.StartNetwork(c.ctx, c.path("name")) }),
		"net.stop":     lifecycle(func(h vm.Hypervisor, c *call) error { return h.StopNetwork(c.ctx, c.path("name")) }),
		"net.undefine": lifecycle(func(h vm.Hypervisor, c *call) error { return h.UndefineNetwork(c.ctx, c.path("name")) }),
		"net.autostart": func(s *Server, c *call) error {
			b, err := decode[api.OnOff](c)
			if err != nil {
				return err
			}
			return done(c, c.hv.SetNetworkAutostart(c.ctx, c.path("name"), b.On))
		},

		"pool.list": func(s *Server, c *call) error {
			l, err := s.HV.Pools(c.ctx)
			return reply(c, nonNil(l), err)
		},
		"pool.get": func(s *Server, c *call) error { p, err := s.HV.Pool(c.ctx, c.path("name")); return reply(c, p, err) },
		"pool.define": func(s *Server, c *call) error {
			spec, err := decode[vm.PoolSpec](c)
			if err != nil {
				return err
			}
			if err := poolPath(c.rules, spec); err != nil {
				return err
			}
			p, err := c.hv.DefinePool(c.ctx, spec)
			return reply(c, p, err)
		},
		"pool.start":    lifecycle(func(h vm.Hypervisor, c *call) error { return h.StartPool(c.ctx, c.path("name")) }),
		"pool.stop":     lifecycle(func(h vm.Hypervisor, c *call) error { return h.StopPool(c.ctx, c.path("name")) }),
		"pool.undefine": lifecycle(func(h vm.Hypervisor, c *call) error { return h.UndefinePool(c.ctx, c.path("name")) }),
		"pool.delete": func(s *Server, c *call) error {
			if _, err := s.pool(c.ctx, c.rules, "delete pool", c.path("name"), c.path("name")); err != nil {
				return err
			}
			return done(c, c.hv.DeletePool(c.ctx, c.path("name")))
		},
		"pool.autostart": func(s *Server, c *call) error {
			b, err := decode[api.OnOff](c)
			if err != nil {
				return err
			}
			return done(c, c.hv.SetPoolAutostart(c.ctx, c.path("name"), b.On))
		},
		"volume.list": func(s *Server, c *call) error {
			l, err := s.HV.Volumes(c.ctx, c.path("pool"))
			return reply(c, nonNil(l), err)
		},
		"volume.by-path": func(s *Server, c *call) error {
			v, err := s.HV.VolumeByPath(c.ctx, c.r.URL.Query().Get("path"))
			return reply(c, v, err)
		},
		"volume.create": func(s *Server, c *call) error {
			spec, err := decode[vm.VolumeSpec](c)
			if err != nil {
				return err
			}
			if _, err := s.pool(c.ctx, c.rules, "create volume", c.path("pool")+"/"+spec.Name, c.path("pool")); err != nil {
				return err
			}
			v, err := c.hv.CreateVolume(c.ctx, c.path("pool"), spec)
			return reply(c, v, err)
		},
		"volume.copy":  (*Server).copyVolume,
		"host.stage":   (*Server).stage,
		"audit.show":   (*Server).auditShow,
		"audit.verify": (*Server).auditVerify,
		"audit.answer": (*Server).answer,
		"volume.delete": func(s *Server, c *call) error {
			if _, err := s.pool(c.ctx, c.rules, "delete volume", c.target(), c.path("pool")); err != nil {
				return err
			}
			return done(c, c.hv.DeleteVolume(c.ctx, c.path("pool"), c.path("name")))
		},
	}
}

// ownDisks refuses to delete, with a VM, disks outside approved pools:
// deleting a VM must not become a way to delete files of other pools.
func (s *Server) ownDisks(c *call) error {
	d, err := s.HV.Details(c.ctx, c.path("ref"))
	if err != nil {
		return err
	}
	for _, disk := range d.Disks {
		if disk.Device == "disk" && disk.Source != "" && !c.rules.Roots.holds(disk.Source) {
			return &vm.Refusal{Op: "delete with storage", Target: d.Name, Rule: "its disk " + disk.Source + " is not under an approved root",
				Remedy: "delete the VM keeping its disks; root deletes the rest"}
		}
	}
	return nil
}

// whoami says who the caller is and what polkit grants them.
func (s *Server) whoami(c *call) error {
	id := api.Identity{User: c.peer.User, UID: c.peer.UID, Root: c.peer.Root(), URI: s.URI, Version: s.Version, Hostname: s.Hostname}
	if rules, err := s.Rules(); err == nil {
		id.Phase = string(rules.Phase)
	}
	for _, a := range api.Actions {
		if ok, err := s.Auth.Allowed(c.ctx, c.peer, a); err == nil && ok {
			id.Allowed = append(id.Allowed, a)
		}
	}
	return reply(c, id, nil)
}

// nonNil makes an empty list [] rather than null.
func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
