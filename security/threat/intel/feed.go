package intel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// A feed is a published blocklist hv downloads on a timer into a
// directory of its own: NAME.txt holds the last good list (its age is the
// file's), NAME.error why the last download failed, if it did.

// DefaultFeedDir is where the monitor service's feeds are downloaded.
const DefaultFeedDir = "/var/lib/hv/feeds"

// Feed names a list and where it is published.
type Feed struct {
	Name string
	URL  string
}

var feedName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// ParseFeed reads NAME=URL.
func ParseFeed(s string) (Feed, error) {
	name, url, ok := strings.Cut(s, "=")
	if !ok || !feedName.MatchString(name) || !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return Feed{}, fmt.Errorf("feed %q: want NAME=URL, NAME in lower-case letters, digits, dots, dashes and underscores, URL http(s)://...", s)
	}
	return Feed{Name: name, URL: url}, nil
}

// Path is where the feed's list lives in dir.
func (f Feed) Path(dir string) string { return filepath.Join(dir, f.Name+".txt") }

// maxFeed bounds a download: the largest public lists are a few MiB.
const maxFeed = 64 << 20

// Update downloads the feed into dir. The list replaces the previous one
// only when it downloaded whole and every line reads as an address or
// range; otherwise the previous one stays, and the reason is kept in
// NAME.error for Status to show.
func Update(ctx context.Context, client *http.Client, dir string, f Feed) (entries int, err error) {
	defer func() {
		errPath := filepath.Join(dir, f.Name+".error")
		if err != nil {
			os.WriteFile(errPath, []byte(time.Now().UTC().Format(time.RFC3339)+" "+err.Error()+"\n"), 0o644)
		} else {
			os.Remove(errPath)
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("downloading %s: %w", f.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("downloading %s: %s answered %s", f.Name, f.URL, resp.Status)
	}
	tmp, err := os.CreateTemp(dir, "."+f.Name+"-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxFeed+1))
	if err == nil && n > maxFeed {
		err = fmt.Errorf("larger than %d MiB", maxFeed>>20)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("downloading %s: %w", f.Name, err)
	}
	l := &Lists{Entries: map[string]int{}}
	rf, err := os.Open(tmp.Name())
	if err != nil {
		return 0, err
	}
	err = l.read(rf, f.URL, f.Name)
	rf.Close()
	if err != nil {
		return 0, err
	}
	if l.Entries[f.Name] == 0 {
		return 0, fmt.Errorf("%s: the download holds no address: kept the previous list", f.Name)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), f.Path(dir)); err != nil {
		return 0, err
	}
	return l.Entries[f.Name], nil
}

// FeedStatus is what is known of a feed in a directory.
type FeedStatus struct {
	Name    string
	Entries int       // addresses and ranges in the last good list
	Updated time.Time // when that list was downloaded; zero: never
	Err     string    // why the last download failed, with when
}

// Age says how old the list is at now, for people.
func (s FeedStatus) Age(now time.Time) string {
	if s.Updated.IsZero() {
		return "never downloaded"
	}
	d := now.Sub(s.Updated).Round(time.Minute)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min old", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.0f h old", d.Hours())
	}
	return fmt.Sprintf("%.0f days old", d.Hours()/24)
}

// Status reads every feed of dir: its last good list and last failure.
func Status(dir string) ([]FeedStatus, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	byName := map[string]*FeedStatus{}
	get := func(name string) *FeedStatus {
		if byName[name] == nil {
			byName[name] = &FeedStatus{Name: name}
		}
		return byName[name]
	}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case strings.HasSuffix(name, ".txt"):
			st := get(strings.TrimSuffix(name, ".txt"))
			if info, err := e.Info(); err == nil {
				st.Updated = info.ModTime()
			}
			if l, err := LoadFiles(filepath.Join(dir, name)); err == nil {
				st.Entries = l.Entries[name]
			}
		case strings.HasSuffix(name, ".error"):
			b, _ := os.ReadFile(filepath.Join(dir, name))
			get(strings.TrimSuffix(name, ".error")).Err = strings.TrimSpace(string(b))
		}
	}
	var out []FeedStatus
	for _, st := range byName {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
