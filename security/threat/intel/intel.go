// Package intel holds threat intelligence: blocklists of addresses
// (single IPs and CIDR ranges) in the formats published lists use — one
// address or range a line (FireHOL's netsets), with '#' or ';' comments
// and a second column ignored (Spamhaus DROP's text form), or JSON lines
// with a "cidr" (Spamhaus DROP's JSON form). Lists are downloaded by
// Update, which keeps the last good list when a download fails, and
// reloaded atomically: a reader always sees one complete generation.
package intel

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	ips bart.Table[string]
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

// LoadFiles reads blocklist files; a file that does not exist (a feed not
// downloaded yet) is empty. The list's name is the file's base name. A
// malformed line is an error naming file and line: a list that
// half-loads would silently miss what it should block.
func LoadFiles(paths ...string) (*Lists, error) {
	l := &Lists{Entries: map[string]int{}}
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("blocklist: %w", err)
		}
		err = l.read(f, p, filepath.Base(p))
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *Lists) read(r io.Reader, path, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "{") { // Spamhaus DROP, JSON lines
			var e struct {
				CIDR string `json:"cidr"`
			}
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				return fmt.Errorf("blocklist %s:%d: %v", path, n, err)
			}
			if e.CIDR == "" {
				continue // the trailing metadata object
			}
			line = e.CIDR
		}
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		p, err := parsePrefix(fields[0])
		if err != nil {
			return fmt.Errorf("blocklist %s:%d: %q is not an IP address or CIDR range", path, n, fields[0])
		}
		l.ips.Insert(p, name)
		l.Entries[name]++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("blocklist %s: %w", path, err)
	}
	return nil
}

func parsePrefix(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return p, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
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

// IP looks up in the current lists, so a Store can be handed to the
// engine once and still follow reloads.
func (s *Store) IP(a netip.Addr) (string, bool) { return s.Current().IP(a) }

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

// ReloadIfChanged reloads when a file's modification time changed (or it
// appeared), and reports whether it did.
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
