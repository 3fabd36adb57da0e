// Package intel holds local threat intelligence: blocklists of addresses
// (single IPs or CIDR ranges) and of file hashes (SHA-256), read from
// plain files that a timer may refresh. Lists reload atomically: a reader
// always sees one complete generation.
package intel

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gaissmai/bart"
)

// Lists are the blocklists of one generation.
type Lists struct {
	ips    bart.Table[string]
	hashes map[string]string // lower-case hex -> list name
	// Entries counts what was loaded, per list name.
	Entries map[string]int
}

// IP reports whether addr is on a list, and which.
func (l *Lists) IP(addr netip.Addr) (string, bool) {
	if l == nil {
		return "", false
	}
	return l.ips.Lookup(addr.Unmap())
}

// Hash reports whether a SHA-256 (hex) is on a list.
func (l *Lists) Hash(hexsum string) (string, bool) {
	if l == nil {
		return "", false
	}
	name, ok := l.hashes[strings.ToLower(hexsum)]
	return name, ok
}

// File hashes path and looks the hash up.
func (l *Lists) File(path string) (sum, list string, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", "", false, err
	}
	sum = hex.EncodeToString(h.Sum(nil))
	list, ok = l.Hash(sum)
	return sum, list, ok, nil
}

// LoadFiles reads blocklist files. Each line holds an IP address, a CIDR
// range or a SHA-256 in hex; '#' starts a comment; a second column is
// ignored (many published lists carry one). The list's name is the file's
// base name. A malformed line is an error naming file and line: a list
// that half-loads would silently miss what it should block.
func LoadFiles(paths ...string) (*Lists, error) {
	l := &Lists{hashes: map[string]string{}, Entries: map[string]int{}}
	for _, p := range paths {
		if err := l.load(p); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *Lists) load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("blocklist: %w", err)
	}
	defer f.Close()
	name := filepath.Base(path)
	return l.read(f, path, name)
}

func (l *Lists) read(r io.Reader, path, name string) error {
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		v := fields[0]
		switch {
		case isSHA256(v):
			l.hashes[strings.ToLower(v)] = name
		case strings.Contains(v, "/"):
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return fmt.Errorf("blocklist %s:%d: %q is not a CIDR range", path, n, v)
			}
			l.ips.Insert(p.Masked(), name)
		default:
			a, err := netip.ParseAddr(v)
			if err != nil {
				return fmt.Errorf("blocklist %s:%d: %q is not an IP address, CIDR range or SHA-256", path, n, v)
			}
			a = a.Unmap()
			l.ips.Insert(netip.PrefixFrom(a, a.BitLen()), name)
		}
		l.Entries[name]++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("blocklist %s: %w", path, err)
	}
	return nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Store holds the current Lists and reloads them when their files change.
type Store struct {
	paths []string
	cur   atomic.Pointer[Lists]

	mu     sync.Mutex
	mtimes map[string]time.Time
}

// NewStore loads paths.
func NewStore(paths ...string) (*Store, error) {
	s := &Store{paths: paths}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Current returns the lists in force.
func (s *Store) Current() *Lists { return s.cur.Load() }

// IP and Hash look up in the current lists, so a Store can be handed to
// the engine once and still follow reloads.
func (s *Store) IP(a netip.Addr) (string, bool) { return s.Current().IP(a) }
func (s *Store) Hash(h string) (string, bool)   { return s.Current().Hash(h) }

// Reload rereads every file. On error the previous lists stay in force.
func (s *Store) Reload() error {
	l, err := LoadFiles(s.paths...)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.mtimes = s.stat()
	s.mu.Unlock()
	s.cur.Store(l)
	return nil
}

// ReloadIfChanged reloads when a file's modification time changed, and
// reports whether it did.
func (s *Store) ReloadIfChanged() (bool, error) {
	s.mu.Lock()
	now := s.stat()
	changed := len(now) != len(s.mtimes)
	for p, t := range now {
		if !s.mtimes[p].Equal(t) {
			changed = true
		}
	}
	s.mu.Unlock()
	if !changed {
		return false, nil
	}
	return true, s.Reload()
}

func (s *Store) stat() map[string]time.Time {
	m := map[string]time.Time{}
	for _, p := range s.paths {
		if st, err := os.Stat(p); err == nil {
			m[p] = st.ModTime()
		}
	}
	return m
}
