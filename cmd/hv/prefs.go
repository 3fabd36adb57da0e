package main

import (
	"errors"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui/app"
)

// loadPrefs reads the operator's level and tutorial progress for the TUI.
// A file that cannot be read is reported in the app and left alone; the
// session runs on defaults and does not save over it.
func loadPrefs(o *app.Options) {
	var errs []error
	if path, err := help.SettingsPath(); err == nil {
		o.Settings, err = help.LoadSettings(path)
		if err == nil {
			o.SettingsPath = path
		}
		errs = append(errs, err)
	}
	if path, err := help.ProgressPath(); err == nil {
		o.Progress, err = help.LoadProgress(path)
		if err == nil {
			o.ProgressPath = path
		}
		errs = append(errs, err)
	}
	o.PrefsErr = errors.Join(errs...)
}
