// Package store keeps findings and response actions in SQLite (WAL mode,
// so the dashboard reads while the monitor writes), with the queries the
// dashboard and 'hv threats report' need.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/hyper-nixos/hv/security/threat"
)

// DefaultPath is where the monitor service keeps its findings.
const DefaultPath = "/var/lib/hv/threats.db"

// Store is an open findings database.
type Store struct {
	mu     sync.Mutex
	db     *sql.DB
	path   string
	frozen bool // opened immutable: nobody had it open and this user cannot write beside it
}

const schema = `
CREATE TABLE IF NOT EXISTS findings (
	id       INTEGER PRIMARY KEY,
	time     INTEGER NOT NULL,
	rule     TEXT NOT NULL,
	title    TEXT NOT NULL,
	severity INTEGER NOT NULL,
	kind     TEXT NOT NULL,
	mitre    TEXT NOT NULL DEFAULT '',
	tags     TEXT NOT NULL DEFAULT '',
	ip       TEXT NOT NULL DEFAULT '',
	user     TEXT NOT NULL DEFAULT '',
	vm       TEXT NOT NULL DEFAULT '',
	service  TEXT NOT NULL DEFAULT '',
	fields   TEXT NOT NULL DEFAULT '',
	count    INTEGER NOT NULL DEFAULT 1,
	evidence TEXT NOT NULL DEFAULT '',
	source   TEXT NOT NULL DEFAULT '',
	line     INTEGER NOT NULL DEFAULT 0,
	intel    TEXT NOT NULL DEFAULT '',
	state    TEXT NOT NULL DEFAULT 'open',
	action   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS findings_time ON findings(time);
CREATE INDEX IF NOT EXISTS findings_state ON findings(state, severity);
CREATE TABLE IF NOT EXISTS actions (
	id       INTEGER PRIMARY KEY,
	time     INTEGER NOT NULL,
	finding  INTEGER NOT NULL DEFAULT 0,
	playbook TEXT NOT NULL,
	action   TEXT NOT NULL,
	target   TEXT NOT NULL,
	mode     TEXT NOT NULL,
	result   TEXT NOT NULL DEFAULT '',
	undo     TEXT NOT NULL DEFAULT '',
	undone   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`

// Open opens or creates the database at path. readOnly opens an existing
// one for reading only (the dashboard of an operator who cannot write it).
//
// A database in WAL mode that no process has open has no -wal and -shm
// files, and a reader who cannot write its directory cannot create them:
// SQLite refuses it ("attempt to write a readonly database"). Nothing can
// change such a database while nobody has it open, so it is read as
// immutable until a writer opens it again (its -wal file appears).
func Open(ctx context.Context, path string, readOnly bool) (*Store, error) {
	db, err := open(ctx, path, readOnly, false)
	if err == nil {
		return &Store{db: db, path: path}, nil
	}
	if !readOnly {
		return nil, err
	}
	if _, werr := os.Stat(path + "-wal"); werr == nil {
		return nil, err
	}
	db, ierr := open(ctx, path, true, true)
	if ierr != nil {
		return nil, err
	}
	return &Store{db: db, path: path, frozen: true}, nil
}

func open(ctx context.Context, path string, readOnly, immutable bool) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"
	switch {
	case immutable:
		dsn += "&mode=ro&immutable=1"
	case readOnly:
		dsn += "&mode=ro"
	default:
		dsn += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("findings database %s: %w", path, err)
	}
	if !readOnly {
		db.SetMaxOpenConns(1) // one writer; WAL lets readers in other processes run alongside
		if _, err := db.ExecContext(ctx, schema); err != nil {
			db.Close()
			return nil, fmt.Errorf("findings database %s: %w", path, err)
		}
	} else if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("findings database %s: %w", path, err)
	}
	return db, nil
}

// Frozen reports whether the database was read as nobody's open file
// (the monitor service was not running); see Open.
func (s *Store) Frozen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frozen
}

// conn is the connection to use: an immutable one is replaced by an
// ordinary read-only one once a writer has the database open again.
func (s *Store) conn() *sql.DB {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		if _, err := os.Stat(s.path + "-wal"); err == nil {
			if db, err := open(context.Background(), s.path, true, false); err == nil {
				s.db.Close()
				s.db, s.frozen = db, false
			}
		}
	}
	return s.db
}

// Close closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Close()
}

// Add stores findings in one transaction and sets their IDs.
func (s *Store) Add(ctx context.Context, fs []threat.Finding) error {
	if len(fs) == 0 {
		return nil
	}
	tx, err := s.conn().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO findings
		(time, rule, title, severity, kind, mitre, tags, ip, user, vm, service, fields, count, evidence, source, line, intel, state, action)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for i := range fs {
		f := &fs[i]
		fields := ""
		if len(f.Fields) > 0 {
			b, _ := json.Marshal(f.Fields)
			fields = string(b)
		}
		state := f.State
		if state == "" {
			state = threat.Open
		}
		res, err := st.ExecContext(ctx, f.Time.UnixNano(), f.Rule, f.Title, int(f.Severity), string(f.Kind), f.MITRE,
			strings.Join(f.Tags, ","), f.IP, f.User, f.VM, f.Service, fields, f.Count, f.Evidence, f.Source, f.Line, f.Intel, string(state), f.Action)
		if err != nil {
			return err
		}
		f.ID, _ = res.LastInsertId()
	}
	return tx.Commit()
}

// Query selects findings.
type Query struct {
	Since       time.Time
	MinSeverity threat.Severity
	States      []threat.State // empty: any
	Limit       int            // 0: 1000
}

const columns = `id, time, rule, title, severity, kind, mitre, tags, ip, user, vm, service, fields, count, evidence, source, line, intel, state, action`

// List returns findings, newest first.
func (s *Store) List(ctx context.Context, q Query) ([]threat.Finding, error) {
	where, args := q.where()
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.conn().QueryContext(ctx, `SELECT `+columns+` FROM findings`+where+` ORDER BY time DESC, id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []threat.Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Get returns one finding.
func (s *Store) Get(ctx context.Context, id int64) (threat.Finding, error) {
	row := s.conn().QueryRowContext(ctx, `SELECT `+columns+` FROM findings WHERE id = ?`, id)
	f, err := scanFinding(row)
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("no finding %d", id)
	}
	return f, err
}

func (q Query) where() (string, []any) {
	var conds []string
	var args []any
	if !q.Since.IsZero() {
		conds = append(conds, "time >= ?")
		args = append(args, q.Since.UnixNano())
	}
	if q.MinSeverity > threat.Info {
		conds = append(conds, "severity >= ?")
		args = append(args, int(q.MinSeverity))
	}
	if len(q.States) > 0 {
		conds = append(conds, "state IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.States)), ",")+")")
		for _, st := range q.States {
			args = append(args, string(st))
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

type scanner interface{ Scan(dest ...any) error }

func scanFinding(r scanner) (threat.Finding, error) {
	var f threat.Finding
	var t int64
	var sev int
	var kind, tags, fields, state string
	err := r.Scan(&f.ID, &t, &f.Rule, &f.Title, &sev, &kind, &f.MITRE, &tags, &f.IP, &f.User, &f.VM, &f.Service,
		&fields, &f.Count, &f.Evidence, &f.Source, &f.Line, &f.Intel, &state, &f.Action)
	if err != nil {
		return f, err
	}
	f.Time, f.Severity, f.Kind, f.State = time.Unix(0, t), threat.Severity(sev), threat.Kind(kind), threat.State(state)
	if tags != "" {
		f.Tags = strings.Split(tags, ",")
	}
	if fields != "" {
		_ = json.Unmarshal([]byte(fields), &f.Fields)
	}
	return f, nil
}

// SetState acknowledges or resolves a finding (or reopens it).
func (s *Store) SetState(ctx context.Context, id int64, st threat.State) error {
	switch st {
	case threat.Open, threat.Acknowledged, threat.Resolved:
	default:
		return fmt.Errorf("unknown finding state %q", st)
	}
	res, err := s.conn().ExecContext(ctx, `UPDATE findings SET state = ? WHERE id = ?`, string(st), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("no finding %d", id)
	}
	return nil
}

// Counts returns the number of findings by severity since t.
func (s *Store) Counts(ctx context.Context, since time.Time) ([threat.Critical + 1]int, error) {
	var out [threat.Critical + 1]int
	rows, err := s.conn().QueryContext(ctx, `SELECT severity, COUNT(*) FROM findings WHERE time >= ? GROUP BY severity`, since.UnixNano())
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var sev, n int
		if err := rows.Scan(&sev, &n); err != nil {
			return out, err
		}
		if sev >= 0 && sev <= int(threat.Critical) {
			out[sev] = n
		}
	}
	return out, rows.Err()
}

// Count is a value and how often it occurs.
type Count struct {
	Value string
	N     int
}

// Top returns the n most frequent values of column (ip, user, vm, rule)
// among findings since t, normal activity (Finding.Activity) left out.
func (s *Store) Top(ctx context.Context, column string, since time.Time, n int) ([]Count, error) {
	switch column {
	case "ip", "user", "vm", "rule":
	default:
		return nil, fmt.Errorf("cannot rank findings by %q", column)
	}
	rows, err := s.conn().QueryContext(ctx, `SELECT `+column+`, COUNT(*) AS n FROM findings WHERE time >= ? AND `+column+` != ''
		AND NOT (kind = ? AND ',' || tags || ',' LIKE ?)
		GROUP BY `+column+` ORDER BY n DESC, `+column+` LIMIT ?`, since.UnixNano(), string(threat.KindMatch), "%,"+threat.TagActivity+",%", n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Value, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Timeline counts findings per bucket of width step from since to now.
func (s *Store) Timeline(ctx context.Context, since time.Time, step time.Duration, buckets int) ([]int, error) {
	out := make([]int, buckets)
	rows, err := s.conn().QueryContext(ctx, `SELECT (time - ?) / ?, COUNT(*) FROM findings WHERE time >= ? GROUP BY 1`,
		since.UnixNano(), step.Nanoseconds(), since.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var b int64
		var n int
		if err := rows.Scan(&b, &n); err != nil {
			return nil, err
		}
		if b >= 0 && b < int64(buckets) {
			out[b] = n
		}
	}
	return out, rows.Err()
}

// Meta reads a saved value ("" when unset).
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.conn().QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta saves a value, such as the journal cursor.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.conn().ExecContext(ctx, `INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Prune deletes findings older than t and returns how many.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.conn().ExecContext(ctx, `DELETE FROM findings WHERE time < ? AND state != 'open'`, before.UnixNano())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
