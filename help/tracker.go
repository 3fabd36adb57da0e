package help

import (
	"fmt"
	"slices"
	"time"
)

// Tracker follows the operator through the tutorials: which one is active,
// which steps are done, and what each observation completes. It does no
// I/O: the caller saves Progress() after a change.
type Tracker struct {
	tutorials []*Tutorial
	p         Progress
}

// NewTracker resumes from saved progress; progress of tutorials that no
// longer exist is kept in the file but ignored.
func NewTracker(tutorials []*Tutorial, p Progress) *Tracker {
	p = p.clone()
	if _, ok := find(tutorials, p.Active); !ok {
		p.Active = ""
	}
	return &Tracker{tutorials: tutorials, p: p}
}

func find(ts []*Tutorial, id string) (*Tutorial, bool) {
	i := slices.IndexFunc(ts, func(t *Tutorial) bool { return t.ID == id })
	if i < 0 {
		return nil, false
	}
	return ts[i], true
}

// Tutorials lists every tutorial, in order.
func (k *Tracker) Tutorials() []*Tutorial { return k.tutorials }

// Tutorial finds one by id.
func (k *Tracker) Tutorial(id string) (*Tutorial, bool) { return find(k.tutorials, id) }

// Progress returns a copy of the progress, to save.
func (k *Tracker) Progress() Progress { return k.p.clone() }

func (k *Tracker) state(id string) *TutorialState {
	if k.p.Tutorials == nil {
		k.p.Tutorials = map[string]*TutorialState{}
	}
	s := k.p.Tutorials[id]
	if s == nil {
		s = &TutorialState{}
		k.p.Tutorials[id] = s
	}
	return s
}

// StepDone reports whether step s of tutorial t is done.
func (k *Tracker) StepDone(t *Tutorial, s *Step) bool {
	st := k.p.Tutorials[t.ID]
	return st != nil && slices.Contains(st.Done, s.ID)
}

// Status says how far t has got: steps done, steps in all, finished.
func (k *Tracker) Status(t *Tutorial) (done, total int, finished bool) {
	for _, s := range t.Steps {
		if k.StepDone(t, s) {
			done++
		}
	}
	st := k.p.Tutorials[t.ID]
	return done, len(t.Steps), st != nil && st.Finished != ""
}

// Current returns the active tutorial and its first step not done.
func (k *Tracker) Current() (*Tutorial, *Step, int, bool) {
	t, ok := find(k.tutorials, k.p.Active)
	if !ok {
		return nil, nil, 0, false
	}
	for i, s := range t.Steps {
		if !k.StepDone(t, s) {
			return t, s, i, true
		}
	}
	return t, nil, len(t.Steps), false
}

// Start makes id the active tutorial, from where it was left; a finished
// one starts over.
func (k *Tracker) Start(id string, now time.Time) error {
	if _, ok := find(k.tutorials, id); !ok {
		return fmt.Errorf("no tutorial is called %q", id)
	}
	st := k.state(id)
	if st.Finished != "" {
		*st = TutorialState{}
	}
	if st.Started == "" {
		st.Started = stamp(now)
	}
	k.p.Active = id
	return nil
}

// Stop leaves the active tutorial; its progress stays.
func (k *Tracker) Stop() { k.p.Active = "" }

// Reset forgets what was done of id.
func (k *Tracker) Reset(id string) {
	delete(k.p.Tutorials, id)
	if k.p.Active == id {
		k.p.Active = ""
	}
}

// Outcome is what an observation did to the active tutorial.
type Outcome struct {
	Tutorial *Tutorial
	Step     *Step // the step it completed, or nil
	Finished bool  // that was the last step
}

// Observe checks o against the current step of the active tutorial (steps
// are done in order) and records it when it completes the step.
func (k *Tracker) Observe(o Observation, now time.Time) Outcome {
	t, s, _, ok := k.Current()
	if !ok || !s.When.Met(o) {
		return Outcome{}
	}
	st := k.state(t.ID)
	st.Done = append(st.Done, s.ID)
	out := Outcome{Tutorial: t, Step: s}
	if _, _, _, more := k.Current(); !more {
		st.Finished = stamp(now)
		k.p.Active = ""
		out.Finished = true
	}
	return out
}
