package help

import (
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/ui/uitest"
)

// Every letter typed into the search is text: j and k do not move the
// cursor while the field is open (/journal typed "ournal").
func TestSearchTypesEveryLetter(t *testing.T) {
	for _, q := range []string{"journal", "kvm", "backup"} {
		m := New(uitest.Common(nil, 100, 30), "")
		h := uitest.NewHarness(t, m)
		h.Press("/")
		h.Send(uitest.Type(q)...)
		if view := uitest.Plain(m.View()); !strings.Contains(view, "/ "+q) {
			t.Errorf("typed %q, the field shows:\n%s", q, view)
		}
	}
}
