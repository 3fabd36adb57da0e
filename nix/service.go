package nix

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ApplyUnit is the root oneshot that applies a staged host file.
const ApplyUnit = "hyper-nixos-apply.service"

// ApplySteps says, for people, what starting ApplyUnit does.
func ApplySteps(p Paths) []string {
	return []string{
		"hv writes your changes to " + p.Staged + " (you may, as an operator)",
		ApplyUnit + " runs as root: it checks the staged file with the same rules as hv and the NixOS module, and refuses what only root may change",
		"it installs the file into the NixOS configuration and runs the rebuild (nixos-rebuild switch)",
		"it leaves the result in " + p.Result + ", which hv shows; a failed rebuild puts the previous host file back",
	}
}

// StartApply asks systemd to start ApplyUnit; polkit lets operators. With
// wait it returns when the apply has finished, else at once.
func StartApply(ctx context.Context, wait bool) error {
	args := []string{"start"}
	if !wait {
		args = append(args, "--no-block")
	}
	out, err := exec.CommandContext(ctx, "systemctl", append(args, ApplyUnit)...).CombinedOutput()
	if err == nil {
		return nil
	}
	said, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	e := &ServiceError{Said: said}
	var ee *exec.ExitError
	switch {
	case errors.Is(err, exec.ErrNotFound):
		e.Problem, e.Remedy = "systemctl is not on this machine", "the apply service runs on a Hyper-NixOS host; the staged file is ready for it there"
	case strings.Contains(said, "not been booted with systemd") || strings.Contains(said, "Failed to connect to bus"):
		e.Problem, e.Remedy = "systemd is not running on this machine", "the apply service runs on a Hyper-NixOS host; the staged file waits for it"
	case strings.Contains(said, "not found") || strings.Contains(said, "not loaded"):
		e.Problem, e.Remedy = ApplyUnit+" is not installed here", "enable services.hyper-nixos in the NixOS configuration; meanwhile the staged file waits"
	case strings.Contains(said, "Access denied") || strings.Contains(said, "authentication"):
		e.Problem, e.Remedy = "you may not start "+ApplyUnit, "only members of the operators group may; ask an administrator"
	case errors.As(err, &ee) && wait:
		e.Problem, e.Remedy = "the apply did not succeed", "'hv features status' shows the result and the rebuild's last lines"
	default:
		e.Problem, e.Remedy = "systemctl failed: "+err.Error(), "check 'systemctl status "+ApplyUnit+"'"
	}
	return e
}

// ServiceError is a failure to start the apply service, with what
// systemctl said.
type ServiceError struct {
	Problem, Remedy, Said string
}

func (e *ServiceError) Error() string {
	if e.Said == "" {
		return e.Problem
	}
	return fmt.Sprintf("%s (systemctl: %s)", e.Problem, e.Said)
}

// Fix is the remedy, for the footer and the CLI.
func (e *ServiceError) Fix() string { return e.Remedy }
