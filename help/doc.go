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
// # Levels, for screens
//
// Beginner: explain. A hint line under the list or the detail says what the
// focused item is and what can be done with it; confirmations add why the
// action is risky. Intermediate: a one-line tooltip for the focused item.
// Expert: nothing extra; compact views and short confirmations. Whatever
// the level, the longer "why" is one key away (? in menus and dialogs).
package help
