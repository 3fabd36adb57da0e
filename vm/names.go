package vm

import (
	"fmt"
	"strings"
	"unicode"
)

// ValidName checks a name for a VM, snapshot, network, pool or volume
// before libvirt sees it, so the refusal can say exactly what is wrong.
// kind names the object in the message ("VM", "snapshot").
func ValidName(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("a %s name is required", kind)
	case len(name) > 100:
		return fmt.Errorf("a %s name must be at most 100 bytes", kind)
	case strings.ContainsRune(name, '/'):
		return fmt.Errorf("a %s name cannot contain '/'", kind)
	case strings.HasPrefix(name, "-"):
		return fmt.Errorf("a %s name cannot start with '-'", kind)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("a %s name cannot start or end with spaces", kind)
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }):
		return fmt.Errorf("a %s name cannot contain control or invisible characters", kind)
	}
	return nil
}

// CheckName is ValidName for an object hv creates (network, pool, volume),
// as a *Error of op with the fix. A volume's name becomes a file name in
// its pool's directory, so "." and ".." are refused too.
func CheckName(op, what, name string) error {
	err := ValidName(what, name)
	if err == nil && (name == "." || name == "..") {
		err = fmt.Errorf("%q is not a %s name", name, what)
	}
	if err != nil {
		return &Error{Op: op, Target: name, Kind: ErrInvalidArg, Detail: err.Error(),
			Hint: "pick another name, such as lab-2 or data.qcow2"}
	}
	return nil
}
