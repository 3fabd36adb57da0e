// Package content holds the files hv embeds: the demo host, the threat
// detection rules and the demo's sample log, and later the docs and
// tutorials.
package content

import (
	"bufio"
	"bytes"
	"embed"
	"io/fs"
	"strings"
)

// DemoHostXML is a libvirt test-driver node: a small production host with
// running, paused and shut-off VMs, snapshots, two networks and two pools.
//
//go:embed demo/host.xml
var DemoHostXML []byte

// DemoHostTOML is the demo host's host file: its features, phase and
// settings, which hv --demo stages changes against in a directory of its own.
//
//go:embed demo/host.toml
var DemoHostTOML []byte

//go:embed demo/autostart.txt
var demoAutostart []byte

// DemoAutostart lists the demo VMs, networks and pools that start with the
// host. The test driver cannot read autostart from its XML, so the demo
// sets it through libvirt after connecting.
func DemoAutostart() (vms, networks, pools []string) {
	sc := bufio.NewScanner(bytes.NewReader(demoAutostart))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		switch kind, name, _ := strings.Cut(line, " "); kind {
		case "network":
			networks = append(networks, strings.TrimSpace(name))
		case "pool":
			pools = append(pools, strings.TrimSpace(name))
		default:
			vms = append(vms, line)
		}
	}
	return vms, networks, pools
}

// Help holds the built-in documentation: topics (docs/*.md), tutorials
// (tutorials/*.toml) and explanations (explain/*.toml), read by package help.
//
//go:embed docs tutorials explain
var Help embed.FS

//go:embed threat/rules/*.toml
var threatRules embed.FS

// ThreatRules is the directory of default detection rules (*.toml).
func ThreatRules() fs.FS {
	sub, err := fs.Sub(threatRules, "threat/rules")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// ThreatPlaybooks is the built-in response playbooks file.
//
//go:embed threat/playbooks.toml
var ThreatPlaybooks []byte

// ThreatDemoLog is the sample log the demo host's threat dashboard
// replays through the detection engine. Lines starting with # are notes.
//
//go:embed threat/demo/host.log
var ThreatDemoLog []byte
