// Package help is hv's knowledge of the operator and of itself, with no UI:
// the operator's experience level and where it is kept, the topics of the
// built-in documentation (embedded markdown) with their search and links,
// the explanations of actions and states at each level, the help topic of
// each error, and the tutorials with their completion conditions and the
// operator's progress.
//
// Rendering (glamour, styles) lives in ui; screens read the level from
// ui.Common and ask this package what to say.
//
// # The convention for screens
//
// Level: read ui.Common.Level in View (never cache it: the root app changes
// it on ui.SetLevelMsg and resizes every screen). Beginner: explain — a hint
// under the list or detail says what the focused item is and what can be
// done now (see vmaction.Hint); confirmations add why the action is risky
// (Confirm.WithWhy). Intermediate: a one-line tip for the focused item.
// Expert: nothing extra; compact views and short confirmations. Whatever the
// level, the longer "why" is one key away: '?' in menus (MenuItem.Why) and
// confirmations.
//
// Tooltips: take the one line and the "why" from an Explanation: Library.
// Action, State, Feature (from the catalog's description and impact) and
// Rule (title, description, severity, and the topic of its tags). Do not
// write explanations in Go: add them to content/explain.
//
// Help topic: a screen's '?' shows the topic whose front matter lists the
// screen's registry id in screens = [...]; one topic per screen, tested.
// Errors: return them with ui.Fail (the footer offers '?' on the topic of
// ErrorTopic); refusals with ui.Refuse(text, topic).
//
// Tutorials: send ui.Signal(name, arg) once the thing has really happened,
// for every signal declared for your screen in Signals; tutorial conditions
// name them (see Condition).
package help
