package libvirt

import (
	"context"
	"testing"
	"time"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/vmtest"
)

// openTest opens libvirt's built-in test driver; each connection gets its
// own private host. At the end it checks that every libvirt object the
// backend obtained was freed.
func openTest(t *testing.T) vm.Hypervisor {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := Open(ctx, "test:///default")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return leakChecked{t, b}
}

type leakChecked struct {
	t *testing.T
	*Backend
}

func (l leakChecked) Close() error {
	// An event being dispatched holds a reference for a moment: wait until
	// the count has stayed at the backend's own one for 50 ms.
	for stable, deadline := 0, time.Now().Add(2*time.Second); stable < 10 && time.Now().Before(deadline); {
		if l.refs() > 1 {
			stable = 0
		} else {
			stable++
		}
		time.Sleep(5 * time.Millisecond)
	}
	refs, err := l.Backend.close()
	if refs != 0 {
		l.t.Errorf("the connection still had %d references at Close: a libvirt object was not freed", refs)
	}
	return err
}

func TestContractOnTestDriver(t *testing.T) {
	vmtest.Run(t, vmtest.Contract{Open: openTest, Timeout: 5 * time.Second, Network: "default", NoHotplug: true})
}

// refs counts the references held on the live connection, the backend's own included.
func (b *Backend) refs() int {
	c, err := b.acquire()
	if err != nil {
		return 0
	}
	n, _ := c.Close()
	return n
}
