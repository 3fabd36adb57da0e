package help

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hyper-nixos/hv/vm"
)

func TestEveryErrorLeadsToItsTopic(t *testing.T) {
	lib := builtin(t)
	tests := map[error]string{
		&vm.ConnectError{Cause: vm.CauseNoDaemon}:  TopicNoDaemon,
		&vm.ConnectError{Cause: vm.CauseDenied}:    TopicSocketDenied,
		&vm.ConnectError{Cause: vm.CauseBadURI}:    TopicBadURI,
		&vm.ConnectError{Cause: vm.CauseNoLibvirt}: TopicNoLibvirt,
		&vm.ConnectError{}:                         TopicCannotConnect,
		&vm.Error{Op: "start", Kind: vm.ErrDenied}: TopicDenied,
		fmt.Errorf("wrapped: %w", vm.ErrNotFound):  TopicNotFound,
		vm.ErrExists:       TopicExists,
		vm.ErrInvalidState: TopicInvalidState,
		vm.ErrUnsupported:  TopicUnsupported,
		vm.ErrConnLost:     TopicConnLost,
		vm.ErrTimeout:      TopicTimeout,
		vm.ErrInvalidArg:   TopicInvalidArg,
		&FileError{Path: "x", Err: errors.New("bad")}: TopicFile,
		errors.New("something nobody planned for"):    TopicErrors,
	}
	for err, want := range tests {
		got := ErrorTopic(err)
		if got != want {
			t.Errorf("%v: topic %s, want %s", err, got, want)
		}
		if _, ok := lib.Topics.Topic(got); !ok {
			t.Errorf("%v: topic %s does not exist", err, got)
		}
	}
}
