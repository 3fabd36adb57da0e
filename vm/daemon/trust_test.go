package daemon

import (
	"strings"
	"testing"
)

// TestTrustHint: a move the daemons cannot make for want of the root trust
// between them says where each host declares the other, which key file
// the peer gives, and the command that shows what fails.
func TestTrustHint(t *testing.T) {
	peers, err := ParsePeers([]string{"hv3=ssh://alice@10.0.0.3:2222"})
	if err != nil {
		t.Fatal(err)
	}
	hint := trustHint("hv1", "hv3", peers["hv3"])
	for _, want := range []string{
		"services.hyper-nixos.peers.hv3",
		"/var/lib/hyper-nixos/ssh/id_ed25519.pub there",
		"and hv1 on hv3",
		"'ssh -o BatchMode=yes -l root -p 2222 10.0.0.3 hv dial-stdio'",
	} {
		if !strings.Contains(hint, want) {
			t.Errorf("the hint lacks %q:\n%s", want, hint)
		}
	}
}
