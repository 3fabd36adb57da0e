package libvirt

import (
	"context"
	"errors"
	"slices"
	"strings"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

// kindOf maps a libvirt error code to a vm sentinel, or nil.
func kindOf(e lv.Error) error {
	switch e.Code {
	case lv.ERR_NO_DOMAIN, lv.ERR_NO_NETWORK, lv.ERR_NO_STORAGE_POOL, lv.ERR_NO_STORAGE_VOL,
		lv.ERR_NO_DOMAIN_SNAPSHOT, lv.ERR_NO_INTERFACE, lv.ERR_NO_NODE_DEVICE, lv.ERR_NO_SECRET,
		lv.ERR_NO_NWFILTER, lv.ERR_NO_DOMAIN_CHECKPOINT:
		return vm.ErrNotFound
	case lv.ERR_DOM_EXIST, lv.ERR_NETWORK_EXIST, lv.ERR_STORAGE_VOL_EXIST:
		return vm.ErrExists
	case lv.ERR_OPERATION_DENIED, lv.ERR_AUTH_FAILED, lv.ERR_AUTH_CANCELLED,
		lv.ERR_AUTH_UNAVAILABLE, lv.ERR_ACCESS_DENIED:
		return vm.ErrDenied
	case lv.ERR_OPERATION_INVALID:
		return vm.ErrInvalidState
	case lv.ERR_NO_SUPPORT, lv.ERR_OPERATION_UNSUPPORTED, lv.ERR_ARGUMENT_UNSUPPORTED:
		return vm.ErrUnsupported
	case lv.ERR_INVALID_CONN, lv.ERR_NO_CONNECT:
		return vm.ErrConnLost
	case lv.ERR_OPERATION_TIMEOUT, lv.ERR_AGENT_UNRESPONSIVE:
		return vm.ErrTimeout
	case lv.ERR_INVALID_ARG, lv.ERR_XML_ERROR, lv.ERR_XML_DETAIL, lv.ERR_CONFIG_UNSUPPORTED,
		lv.ERR_INVALID_DOMAIN:
		return vm.ErrInvalidArg
	case lv.ERR_OPERATION_FAILED:
		// The QEMU driver reports a taken name this way.
		if strings.Contains(e.Message, "already exists") {
			return vm.ErrExists
		}
	}
	return nil
}

// hasCode reports whether err is a libvirt error with one of codes.
func hasCode(err error, codes ...lv.ErrorNumber) bool {
	var le lv.Error
	return errors.As(err, &le) && slices.Contains(codes, le.Code)
}

// wrap turns err into a *vm.Error naming the operation and its target.
// Errors that already are vm errors pass through.
func wrap(op, target string, err error) error {
	if err == nil {
		return nil
	}
	var ve *vm.Error
	var re *vm.Refusal
	if errors.As(err, &ve) || errors.As(err, &re) {
		return err
	}
	var le lv.Error
	if errors.As(err, &le) {
		return &vm.Error{Op: op, Target: target, Kind: kindOf(le), Detail: le.Message}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &vm.Error{Op: op, Target: target, Kind: ended(err)}
	}
	for _, s := range []error{vm.ErrConnLost, vm.ErrTimeout, vm.ErrNotFound, vm.ErrInvalidArg} {
		if errors.Is(err, s) {
			return &vm.Error{Op: op, Target: target, Kind: s}
		}
	}
	return &vm.Error{Op: op, Target: target, Detail: err.Error()}
}

// connectError explains why opening uri failed.
func connectError(uri string, err error) *vm.ConnectError {
	ce := &vm.ConnectError{URI: uri, Detail: err.Error()}
	var le lv.Error
	if !errors.As(err, &le) {
		return ce
	}
	ce.Detail = le.Message
	msg := strings.ToLower(le.Message)
	switch {
	case denied(err):
		ce.Cause = vm.CauseDenied
	case strings.Contains(msg, "no such file or directory") || strings.Contains(msg, "connection refused"):
		ce.Cause = vm.CauseNoDaemon
	case le.Code == lv.ERR_NO_CONNECT || le.Code == lv.ERR_INVALID_ARG && strings.Contains(msg, "uri"):
		ce.Cause = vm.CauseBadURI
	}
	return ce
}

// denied reports whether a connection attempt was refused for lack of
// rights, so that a read-only connection is worth trying.
func denied(err error) bool {
	var le lv.Error
	if !errors.As(err, &le) {
		return false
	}
	return kindOf(le) == vm.ErrDenied || strings.Contains(strings.ToLower(le.Message), "permission denied")
}
