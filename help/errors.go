package help

import (
	"errors"

	"github.com/hyper-nixos/hv/security/phase"
	"github.com/hyper-nixos/hv/vm"
)

// Topic ids the code refers to; a test checks each exists.
const (
	TopicErrors        = "errors"
	TopicCannotConnect = "error-cannot-connect"
	TopicNoDaemon      = "error-libvirt-not-running"
	TopicSocketDenied  = "error-socket-denied"
	TopicBadURI        = "error-bad-uri"
	TopicNoLibvirt     = "error-libvirt-missing"
	TopicNotFound      = "error-not-found"
	TopicExists        = "error-exists"
	TopicDenied        = "error-permission-denied"
	TopicInvalidState  = "error-invalid-state"
	TopicUnsupported   = "error-unsupported"
	TopicConnLost      = "error-connection-lost"
	TopicTimeout       = "error-timeout"
	TopicInvalidArg    = "error-invalid-argument"
	TopicFile          = "error-settings-file"
	TopicUnavailable   = "action-unavailable"
	TopicReadOnly      = "access"
	TopicPhases        = "hardening"
	TopicWizard        = "setup-wizard"
	TopicLevels        = "levels"
	TopicTutorials     = "tutorials"
	TopicHosts         = "several-hosts"
)

// ErrorTopic names the topic that explains err and its fix; the overview
// of errors when nothing more precise fits.
func ErrorTopic(err error) string {
	var ce *vm.ConnectError
	var fe *FileError
	var pe *phase.Error
	switch {
	case errors.As(err, &pe):
		return TopicPhases
	case errors.As(err, &ce):
		switch ce.Cause {
		case vm.CauseNoDaemon:
			return TopicNoDaemon
		case vm.CauseDenied:
			return TopicSocketDenied
		case vm.CauseBadURI:
			return TopicBadURI
		case vm.CauseNoLibvirt:
			return TopicNoLibvirt
		case vm.CauseUnreachable:
			return TopicHosts
		}
		return TopicCannotConnect
	case errors.As(err, &fe):
		return TopicFile
	case errors.Is(err, vm.ErrNotFound):
		return TopicNotFound
	case errors.Is(err, vm.ErrExists):
		return TopicExists
	case errors.Is(err, vm.ErrDenied):
		return TopicDenied
	case errors.Is(err, vm.ErrInvalidState):
		return TopicInvalidState
	case errors.Is(err, vm.ErrUnsupported):
		return TopicUnsupported
	case errors.Is(err, vm.ErrConnLost):
		return TopicConnLost
	case errors.Is(err, vm.ErrTimeout):
		return TopicTimeout
	case errors.Is(err, vm.ErrInvalidArg):
		return TopicInvalidArg
	}
	return TopicErrors
}

// topicIDs are every id above, for the test that they exist.
var topicIDs = []string{TopicErrors, TopicCannotConnect, TopicNoDaemon, TopicSocketDenied, TopicBadURI,
	TopicNoLibvirt, TopicNotFound, TopicExists, TopicDenied, TopicInvalidState, TopicUnsupported,
	TopicConnLost, TopicTimeout, TopicInvalidArg, TopicFile, TopicUnavailable, TopicReadOnly,
	TopicLevels, TopicTutorials, TopicPhases, TopicWizard, TopicHosts}
