package nix

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/pelletier/go-toml/v2"
)

// DefaultHostFile is where the NixOS module installs the host file.
const DefaultHostFile = "/etc/hyper-nixos/host.toml"

// HostFileEnv overrides DefaultHostFile.
const HostFileEnv = "HV_HOST_FILE"

// HostFilePath returns the host file hv reads: $HV_HOST_FILE, else the default.
func HostFilePath() string {
	if p := os.Getenv(HostFileEnv); p != "" {
		return p
	}
	return DefaultHostFile
}

// LibvirtURI reads the libvirt connection URI ([libvirt] uri) from the host
// file at path. A missing file is not an error: it yields "".
func LibvirtURI(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the host file: %w", err)
	}
	var f struct {
		Libvirt struct {
			URI string `toml:"uri"`
		} `toml:"libvirt"`
	}
	if err := toml.Unmarshal(data, &f); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return "", fmt.Errorf("the host file %s is not valid TOML at line %d, column %d: %s", path, row, col, de.Error())
		}
		return "", fmt.Errorf("the host file %s: %w", path, err)
	}
	return f.Libvirt.URI, nil
}
