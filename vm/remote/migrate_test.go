package remote_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/daemon/daemontest"
)

// newcomer is a VM another host offers to the test driver's host.
func newcomer() vm.Move {
	return vm.Move{Name: "newcomer", UUID: "6b6b0000-0000-4000-8000-000000000001", From: "hv1", Live: true, MemoryKiB: 65536,
		Networks: []string{"default"}, Disks: []vm.MoveDisk{{Target: "vda", Path: "/default-pool/newcomer.img", CapacityBytes: 1 << 30}},
		Media: []string{}}
}

// TestADestinationChecksWhatAVMNeeds: a host accepts a VM only when it
// can take it, and says what is missing; each answer is in its trail.
func TestADestinationChecksWhatAVMNeeds(t *testing.T) {
	h := startDaemon(t, daemontest.Grant(nil))
	c := h.client(t)
	defer c.Close()
	ctx := yes(context.Background())

	if _, err := c.AcceptMigration(context.Background(), newcomer()); !errors.As(err, new(*phase.Unconfirmed)) {
		t.Errorf("accepting without the operator's answer: %v", err)
	}
	ticket, err := c.AcceptMigration(ctx, newcomer())
	if err != nil || len(ticket.ID) != 32 || ticket.Expires.IsZero() {
		t.Fatalf("accepting a VM this host can take: %+v %v", ticket, err)
	}
	for _, tc := range []struct {
		what   string
		change func(*vm.Move)
		rule   string
	}{
		{"a VM of that name here", func(m *vm.Move) { m.Name = "test" }, "this host has a VM test ("},
		{"a network it lacks", func(m *vm.Move) { m.Networks = []string{"lab"} }, "this host has no network lab"},
		{"a disk where no pool is", func(m *vm.Move) { m.Disks[0].Path = "/srv/other/newcomer.img" }, "no pool here holds /srv/other"},
		{"a disk bigger than the pool's room", func(m *vm.Move) { m.Disks[0].CapacityBytes = 1 << 50 }, "pool default-pool here has"},
		{"a medium it lacks", func(m *vm.Move) { m.Media = []string{"/default-pool/installer.iso"} }, "its medium /default-pool/installer.iso"},
		{"more memory than the host has", func(m *vm.Move) { m.MemoryKiB = 1 << 40 }, "of memory, this host"},
		{"the host's own CPU of another host", func(m *vm.Move) { m.CPUMode, m.HostCPU = "host-passthrough", "Vendor Model-9" }, "host-passthrough: Vendor Model-9"},
	} {
		m := newcomer()
		tc.change(&m)
		_, err := c.AcceptMigration(ctx, m)
		var re *vm.Refusal
		if !errors.As(err, &re) || !strings.Contains(re.Rule, tc.rule) || re.Remedy == "" {
			t.Errorf("%s: %v, want the rule %q and a remedy", tc.what, err, tc.rule)
		}
	}
	entries, err := h.log.Read()
	if err != nil {
		t.Fatal(err)
	}
	accepted, refused := 0, 0
	for _, e := range entries {
		if e.Action == "vm.migrate.accept" && e.Target == "newcomer from hv1" && e.Result == "ok" {
			accepted++
		}
		if e.Action == "vm.migrate.accept" && e.Result == "refused" && e.Error != "" {
			refused++
		}
	}
	if accepted != 1 || refused < 7 {
		t.Errorf("the trail has %d acceptances and %d refusals, want 1 and 7 (the unanswered one with them)", accepted, refused)
	}
}

// TestATicketIsClaimedOnceForItsVM: only root (another host's daemon over
// SSH) claims a ticket, once, for the VM it was given for, and says how the
// move ended; the trail records who accepted it.
func TestATicketIsClaimedOnceForItsVM(t *testing.T) {
	h := startDaemon(t, daemontest.Grant(nil))
	c := h.client(t)
	defer c.Close()
	ctx := yes(context.Background())
	ticket, err := c.AcceptMigration(ctx, newcomer())
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		if err := c.ClaimMigration(ctx, ticket.ID, newcomer()); !errors.Is(err, vm.ErrDenied) {
			t.Errorf("an operator claiming a ticket: %v", err)
		}
		return
	}
	other := newcomer()
	other.Name, other.UUID = "stranger", "6b6b0000-0000-4000-8000-000000000002"
	if err := c.ClaimMigration(ctx, ticket.ID, other); err == nil || !strings.Contains(err.Error(), "the ticket is for newcomer") {
		t.Errorf("claiming for another VM: %v", err)
	}
	if err := c.ClaimMigration(ctx, "0123", newcomer()); err == nil || !strings.Contains(err.Error(), "no such ticket") {
		t.Errorf("claiming an unknown ticket: %v", err)
	}
	if err := c.ClaimMigration(ctx, ticket.ID, newcomer()); err != nil {
		t.Fatalf("claiming: %v", err)
	}
	if err := c.ClaimMigration(ctx, ticket.ID, newcomer()); err == nil || !strings.Contains(err.Error(), "used already") {
		t.Errorf("claiming twice: %v", err)
	}
	if err := c.FinishMigration(ctx, ticket.ID, nil); err != nil {
		t.Fatalf("finishing: %v", err)
	}
	if err := c.FinishMigration(ctx, ticket.ID, nil); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("finishing twice: %v", err)
	}
	entries, _ := h.log.Read()
	var in []string
	for _, e := range entries {
		if e.Action == "vm.migrate.in" {
			in = append(in, e.Result+": "+e.Note)
		}
	}
	// Three refused claims, the one that started, the end.
	want := []string{"refused: ", "refused: ", "started: live, 1 disk(s) copied, accepted by root", "refused: ", "ok: live, 1 disk(s) copied, accepted by root"}
	if len(in) != len(want) {
		t.Fatalf("the trail's arrivals: %q", in)
	}
	for i, w := range want {
		if !strings.HasPrefix(in[i], w) {
			t.Errorf("arrival %d: %q, want %q...", i, in[i], w)
		}
	}
}

// TestAMoveGoesOnlyToAPeer: the daemon moves a VM only to a host its host
// file lists in hosts.peers, whatever an operator asks.
func TestAMoveGoesOnlyToAPeer(t *testing.T) {
	h := startDaemon(t, daemontest.Grant(nil))
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", h.socket)
	}}}
	req, _ := http.NewRequest("POST", "http://hv/v1/vms/test/migrate", strings.NewReader(`{"to":"evil.example.org","ticket":"x"}`))
	req.Header.Set("Hv-Confirm", "--yes")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Error struct{ Kind, Rule string } }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusForbidden || body.Error.Kind != "policy" || !strings.Contains(body.Error.Rule, "do not name evil.example.org") {
		t.Errorf("a move to a host that is no peer: %d %+v", resp.StatusCode, body)
	}
}
