// Package ui is what the screens of the TUI share: Common (size, styles,
// glyphs, the hypervisor, the operator's level and phase), the key
// vocabulary (Verbs: one key per verb on every screen), Actions with their
// risk, reason and handler, the dialogs (questions, typed names, menus,
// forms, messages, all drawn by Box to fit the screen), the '/' Search of
// list screens, the shared table, jobs and status messages. ui/app is the
// root model that stacks the screens; docs/ARCHITECTURE.md is the map.
package ui
