package help

import (
	"fmt"
	"strings"
)

// Level is how much the operator wants explained. The zero value is
// Beginner: someone who never chose gets the most help.
type Level int

const (
	Beginner Level = iota
	Intermediate
	Expert
)

// Levels lists every level, from the most explained.
var Levels = []Level{Beginner, Intermediate, Expert}

var levelNames = [...]string{"beginner", "intermediate", "expert"}

func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return "unknown"
	}
	return levelNames[l]
}

// Describe says what the level changes, in one line.
func (l Level) Describe() string {
	switch l {
	case Beginner:
		return "explanations and hints under what you look at; confirmations say why"
	case Intermediate:
		return "a one-line tip for what you look at; explanations on demand"
	case Expert:
		return "compact screens and short confirmations; explanations on demand"
	}
	return ""
}

// Next is the level after l, wrapping around: for a key that cycles.
func (l Level) Next() Level { return Levels[(int(l)+1)%len(Levels)] }

// ParseLevel accepts a level's name or its first letter.
func ParseLevel(s string) (Level, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, l := range Levels {
		if s == l.String() || (len(s) == 1 && s[0] == l.String()[0]) {
			return l, nil
		}
	}
	return Beginner, fmt.Errorf("unknown level %q: use beginner, intermediate or expert", s)
}

func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
