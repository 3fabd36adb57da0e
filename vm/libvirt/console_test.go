package libvirt

import (
	"context"
	"testing"
	"time"
)

// TestAnOpenWaitsForTheReleasesUnderWay: a console being released holds
// back the next open until its stream is gone (libvirt 9.0 deadlocks on
// an abort racing an open with FORCE).
func TestAnOpenWaitsForTheReleasesUnderWay(t *testing.T) {
	var c closings
	c.wait(context.Background()) // none under way: no wait
	c.begin()
	c.begin()
	released := make(chan struct{})
	go func() {
		time.Sleep(50 * time.Millisecond)
		c.end()
		time.Sleep(50 * time.Millisecond)
		close(released)
		c.end()
	}()
	c.wait(context.Background())
	select {
	case <-released:
	default:
		t.Fatal("the open went ahead while a console was still being released")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	c.begin()
	c.wait(ctx) // bounded by ctx even if a release hangs
	if ctx.Err() == nil {
		t.Error("wait returned before its context ended, with a release under way")
	}
}
