package nix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
)

// DefaultHostFile is the applied host file: the NixOS module installs the
// one the running system was built from here.
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

// DefaultStateDir holds the staged host file (written by root: hv's daemon
// stages operators' changes) and the apply service's result; StateDirEnv
// overrides it.
const (
	DefaultStateDir = "/var/lib/hyper-nixos"
	StateDirEnv     = "HV_STATE_DIR"
)

// PeerIdentity is the SSH key of hv's daemon for its peers (hosts.peers):
// made on the host by the module (nix/peers.nix), its public key in
// PeerIdentity.pub for the peers' services.hyper-nixos.peers.NAME.rootKey.
const PeerIdentity = DefaultStateDir + "/ssh/id_ed25519"

// Paths are the files of the host contract.
type Paths struct {
	Host   string `json:"host"`   // applied: what the running system was built from
	Staged string `json:"staged"` // staged by operators, for the apply service
	Result string `json:"result"` // what the last run of the apply service did
}

// DefaultPaths are the paths the NixOS module sets up, with the
// environment's overrides.
func DefaultPaths() Paths {
	state := os.Getenv(StateDirEnv)
	if state == "" {
		state = DefaultStateDir
	}
	p := stateFiles(state)
	p.Host = HostFilePath()
	return p
}

// PathsIn puts every file under dir, as the demo does.
func PathsIn(dir string) Paths {
	p := stateFiles(dir)
	p.Host = filepath.Join(dir, "host.toml")
	return p
}

func stateFiles(dir string) Paths {
	return Paths{Staged: filepath.Join(dir, "staged", "host.toml"), Result: filepath.Join(dir, "last-apply.json")}
}

// ErrNoHostFile means there is no file at the path.
var ErrNoHostFile = errors.New("no host file")

// ErrChanged means a file changed between reading and writing it.
var ErrChanged = errors.New("changed since it was read")

// maxHostFile bounds what hv reads: host files are a few KiB.
const maxHostFile = 1 << 20

// ReadHost reads and decodes the host file at path, and returns its bytes
// too, for a later WriteHost. A missing file is ErrNoHostFile.
func ReadHost(path string) (*Host, []byte, error) {
	h, data, _, err := ReadHostOwned(path)
	return h, data, err
}

// Owner is who could have written a file: its owner, and whether anyone
// else (its group, others) may write to it.
type Owner struct {
	UID            int
	OthersCanWrite bool
}

// WrittenBy reports whether only uid can have written the file.
func (o Owner) WrittenBy(uid int) bool { return o.UID == uid && !o.OthersCanWrite }

// ReadHostOwned is ReadHost that also says who owns the file, from the
// file it read (not a second look at the path, which may have changed).
func ReadHostOwned(path string) (*Host, []byte, Owner, error) {
	data, owner, err := readSmall(path)
	if err != nil {
		return nil, nil, owner, err
	}
	h, err := DecodeHost(data)
	if err != nil {
		return nil, data, owner, at(err, path)
	}
	return h, data, owner, nil
}

// readSmall reads a regular file of at most maxHostFile bytes without
// following a symlink at its last component: the staged file sits in a
// directory operators can write, and root reads it.
func readSmall(path string) ([]byte, Owner, error) {
	var owner Owner
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, owner, fmt.Errorf("%w at %s", ErrNoHostFile, path)
	}
	if err != nil {
		return nil, owner, ioError("the host file", "read", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, owner, ioError("the host file", "read", path, err)
	}
	owner.OthersCanWrite = st.Mode().Perm()&0o022 != 0
	owner.UID = -1
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		owner.UID = int(sys.Uid)
	}
	if !st.Mode().IsRegular() {
		return nil, owner, &FileError{What: "the host file " + path, Problem: "is not a regular file",
			Remedy: "replace it with a host file; hv will not read devices, pipes or directories"}
	}
	if st.Size() > maxHostFile {
		return nil, owner, &FileError{What: "the host file " + path, Problem: fmt.Sprintf("is %d bytes, more than a host file can be (%d)", st.Size(), maxHostFile),
			Remedy: "replace it with a real host file"}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxHostFile+1))
	if err != nil {
		return nil, owner, ioError("the host file", "read", path, err)
	}
	if len(data) > maxHostFile {
		return nil, owner, &FileError{What: "the host file " + path, Problem: "grew past the size a host file can be while hv read it",
			Remedy: "replace it with a real host file"}
	}
	return data, owner, nil
}

// at names the file in a FileError from DecodeHost.
func at(err error, path string) error {
	var fe *FileError
	if errors.As(err, &fe) {
		c := *fe
		c.What = fe.What + " " + path
		return &c
	}
	return fmt.Errorf("%s: %w", path, err)
}

// LockTimeout is how long a writer waits for another one to finish.
var LockTimeout = 5 * time.Second

// lock takes the advisory lock every reader-modifier-writer of path shares.
func lock(path string) (unlock func(), err error) {
	l := flock.New(path+".lock", flock.SetPermissions(0o660))
	ctx, cancel := context.WithTimeout(context.Background(), LockTimeout)
	defer cancel()
	ok, err := l.TryLockContext(ctx, 50*time.Millisecond)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, ioError("the host file", "lock", path, err)
	}
	if !ok {
		return nil, &FileError{What: "the host file " + path, Problem: fmt.Sprintf("another hv has held its lock for %s", LockTimeout),
			Remedy: "wait for the other operator or apply to finish, then try again"}
	}
	return func() { l.Unlock() }, nil
}

// WriteHost replaces the host file at path with h, atomically (a complete
// new file renamed over the old one, so that readers see one or the other)
// and under the file's lock, provided the file still holds exactly
// expected: nil means it must not exist. A file that changed meanwhile is
// ErrChanged; nothing is written.
func WriteHost(path string, h *Host, expected []byte) ([]byte, error) {
	return UpdateHost(path, func(_ *Host, current []byte) (*Host, error) {
		if !bytes.Equal(current, expected) || (current == nil) != (expected == nil) {
			return nil, &FileError{What: "the host file " + path, Err: ErrChanged,
				Problem: "changed since hv read it (another operator, or the apply service)",
				Remedy:  "reload to see the new contents, then make your change again"}
		}
		return h, nil
	})
}

// UpdateHost reads the host file at path under its lock, lets change
// decide the new contents (current is nil when the file does not exist),
// and writes them atomically. A file that exists but cannot be decoded is
// never overwritten: the error says so. It returns the bytes written.
func UpdateHost(path string, change func(current *Host, raw []byte) (*Host, error)) ([]byte, error) {
	unlock, err := lock(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cur, raw, err := ReadHost(path)
	switch {
	case errors.Is(err, ErrNoHostFile):
		cur, raw = nil, nil
	case err != nil:
		var fe *FileError
		if errors.As(err, &fe) && raw != nil {
			c := *fe
			c.Remedy = fe.Remedy + "; hv will not overwrite a file it cannot read: fix it, or move it away to start again from the applied host file"
			return nil, &c
		}
		return nil, err
	}
	next, err := change(cur, raw)
	if err != nil {
		return nil, err
	}
	data, err := EncodeHost(next)
	if err != nil {
		return nil, err
	}
	// Readable by the operators group, writable by its writer only: the
	// apply service trusts a staged file only root could have written.
	if err := writeAtomic("the host file", path, data, 0o640); err != nil {
		return nil, err
	}
	return data, nil
}

// writeAtomic writes data to path through a temporary file in the same
// directory, synced and renamed over path; then syncs the directory so
// the rename survives a crash. On failure path is untouched and the
// temporary file removed.
func writeAtomic(what, path string, data []byte, perm os.FileMode) error {
	// The temporary file is made in path's own directory, so that it takes
	// the directory's group (the staging directory is setgid to the
	// operators, who read the staged file), not /tmp's.
	if err := renameio.WriteFile(path, data, perm, renameio.WithTempDir(filepath.Dir(path))); err != nil {
		return ioError(what, "write", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// ioError explains a failed file operation with the fix for its cause.
func ioError(what, op, path string, err error) error {
	dir := filepath.Dir(path)
	fe := &FileError{What: what + " " + path, Problem: fmt.Sprintf("cannot %s it: %v", op, unwrapPath(err)), Err: err}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fe.Remedy = fmt.Sprintf("the directory %s does not exist: is services.hyper-nixos enabled on this host?", dir)
	case errors.Is(err, fs.ErrPermission):
		fe.Remedy = fmt.Sprintf("you may not write in %s: only members of the operators group may stage host changes, and only root may apply them", dir)
	case errors.Is(err, syscall.EROFS):
		fe.Remedy = fmt.Sprintf("%s is on a read-only file system", dir)
	case errors.Is(err, syscall.ENOTDIR):
		fe.Remedy = fmt.Sprintf("a part of %s is not a directory: check the path", dir)
	case errors.Is(err, syscall.EISDIR):
		fe.Remedy = fmt.Sprintf("%s is a directory: move it away or choose another path", path)
	case errors.Is(err, syscall.ENOSPC):
		fe.Remedy = "the disk is full: free some space"
	default:
		fe.Remedy = "check the path and its permissions"
	}
	return fe
}

// unwrapPath drops the path os puts in its errors: FileError names it.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// LibvirtURI reads the libvirt connection URI from the host file at path,
// for the connection order of 'hv --connect'. A missing file is not an
// error: it yields "".
func LibvirtURI(path string) (string, error) {
	h, _, err := ReadHost(path)
	if errors.Is(err, ErrNoHostFile) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return h.Libvirt.URI, nil
}

// WithLock runs fn while holding the lock WriteHost and UpdateHost take on
// path, so that nobody stages while the apply service reads or removes.
func WithLock(path string, fn func() error) error {
	unlock, err := lock(path)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// InstallHost writes data, a host file already checked, to path
// atomically, readable by all: it becomes part of the configuration.
func InstallHost(path string, data []byte) error {
	return writeAtomic("the host file", path, data, 0o644)
}
