// Package content holds the files hv embeds: the demo host, and later the
// docs, tutorials and threat rules.
package content

import (
	"bufio"
	"bytes"
	"embed"
	"strings"
)

// DemoHostXML is a libvirt test-driver node: a small production host with
// running, paused and shut-off VMs, snapshots, two networks and two pools.
//
//go:embed demo/host.xml
var DemoHostXML []byte

//go:embed demo/autostart.txt
var demoAutostart []byte

// DemoAutostart lists the demo VMs that start with the host. The test
// driver cannot read autostart from its XML, so the demo sets it through
// libvirt after connecting.
func DemoAutostart() []string {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(demoAutostart))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			names = append(names, line)
		}
	}
	return names
}

// Help holds the built-in documentation: topics (docs/*.md), tutorials
// (tutorials/*.toml) and explanations (explain/*.toml), read by package help.
//
//go:embed docs tutorials explain
var Help embed.FS
