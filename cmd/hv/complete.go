package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/security/features"
	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
)

// completer lists the words an argument may be, given the arguments
// before it; hv is nil for the words that need no host.
type completer struct {
	host  bool
	words func(ctx context.Context, hv vm.Hypervisor, args []string) []string
}

// complete completes each position of a command's arguments with the
// completer given for it: sorted, starting as typed, and only names that
// read as typed (a name with control characters is never offered).
func complete(g *globals, at ...completer) cobra.CompletionFunc {
	return completeBy(g, func(n int) (completer, bool) {
		if n >= len(at) {
			return completer{}, false
		}
		return at[n], true
	})
}

// completeEach completes every argument with c (VM NAME...).
func completeEach(g *globals, c completer) cobra.CompletionFunc {
	return completeBy(g, func(int) (completer, bool) { return c, true })
}

func completeBy(g *globals, at func(n int) (completer, bool)) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, typed string) ([]string, cobra.ShellCompDirective) {
		c, ok := at(len(args))
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var hv vm.Hypervisor
		if c.host {
			var err error
			if hv, err = g.open(); err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			defer hv.Close()
		}
		var out []string
		for _, w := range c.words(ctx, hv, args) {
			if strings.HasPrefix(w, typed) && termsafe.String(w) == w && !strings.ContainsAny(w, " \t") {
				out = append(out, w)
			}
		}
		slices.Sort(out)
		return slices.Compact(out), cobra.ShellCompDirectiveNoFileComp
	}
}

// words completes with a fixed list.
func words(list ...string) completer {
	return completer{words: func(context.Context, vm.Hypervisor, []string) []string { return list }}
}

// Completers of the host's objects and of hv's built-in words.
var (
	vmNames = completer{host: true, words: func(ctx context.Context, hv vm.Hypervisor, _ []string) []string {
		vms, _ := hv.List(ctx)
		return mapNames(vms, func(v vm.VM) string { return v.Name })
	}}
	netNames = completer{host: true, words: func(ctx context.Context, hv vm.Hypervisor, _ []string) []string {
		nets, _ := hv.Networks(ctx)
		return mapNames(nets, func(n vm.Network) string { return n.Name })
	}}
	poolNames = completer{host: true, words: func(ctx context.Context, hv vm.Hypervisor, _ []string) []string {
		pools, _ := hv.Pools(ctx)
		return mapNames(pools, func(p vm.Pool) string { return p.Name })
	}}
	// volNames are the volumes of the pool named by the first argument.
	volNames = completer{host: true, words: func(ctx context.Context, hv vm.Hypervisor, args []string) []string {
		vols, _ := hv.Volumes(ctx, args[0])
		return mapNames(vols, func(v vm.Volume) string { return v.Name })
	}}
	// snapNames are the snapshots of the VM named by the first argument.
	snapNames = completer{host: true, words: func(ctx context.Context, hv vm.Hypervisor, args []string) []string {
		snaps, _ := hv.Snapshots(ctx, args[0])
		return mapNames(snaps, func(s vm.Snapshot) string { return s.Name })
	}}
	featureIDs = completer{words: func(context.Context, vm.Hypervisor, []string) []string {
		return mapNames(features.Builtin().Features(), func(f *features.Feature) string { return f.ID })
	}}
	presetIDs = completer{words: func(context.Context, vm.Hypervisor, []string) []string {
		return mapNames(features.Builtin().Presets(), func(p features.Preset) string { return p.ID })
	}}
	phaseIDs = completer{words: func(context.Context, vm.Hypervisor, []string) []string {
		return features.Builtin().PhaseIDs()
	}}
	tutorialIDs = completer{words: func(context.Context, vm.Hypervisor, []string) []string {
		return append(mapNames(help.Builtin().Tutorials, func(t *help.Tutorial) string { return t.ID }), "list")
	}}
	topicIDs = completer{words: func(context.Context, vm.Hypervisor, []string) []string {
		return mapNames(help.Builtin().Topics.All(), func(t *help.Topic) string { return t.ID })
	}}
	onOffWords = words("on", "off")
)

// mapNames maps a list to its names.
func mapNames[T any](list []T, name func(T) string) []string {
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = name(x)
	}
	return out
}
