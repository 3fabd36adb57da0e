package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/help"
)

func newTutorialCmd() *cobra.Command {
	var start, reset bool
	cmd := &cobra.Command{
		Use:   "tutorial [list | NAME]",
		Short: "List the tutorials with your progress, or show one",
		Long: "Tutorials are done in the terminal UI, on the real host (try 'hv --demo'): each step completes\n" +
			"when you really do it. This lists them with your progress, or prints one's steps;\n" +
			"--start makes it the tutorial the UI follows next time it opens.",
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: complete(nil, tutorialIDs),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := help.ProgressPath()
			if err != nil {
				return err
			}
			p, err := help.LoadProgress(path)
			if err != nil {
				return err
			}
			k := help.NewTracker(help.Builtin().Tutorials, p)
			out := cmd.OutOrStdout()
			if len(args) == 0 || args[0] == "list" {
				if start || reset {
					return usageError{fmt.Errorf("--start and --reset need a tutorial's name")}
				}
				fmt.Fprintf(out, "%-18s %-32s %s\n", "NAME", "TITLE", "PROGRESS")
				for _, t := range k.Tutorials() {
					fmt.Fprintf(out, "%-18s %-32s %s\n", t.ID, t.Title, progress(k, t))
				}
				return nil
			}
			t, ok := k.Tutorial(args[0])
			if !ok {
				var ids []string
				for _, t := range k.Tutorials() {
					ids = append(ids, t.ID)
				}
				return usageError{fmt.Errorf("no tutorial is called %q%s: 'hv tutorial list' lists them", args[0], didYouMean(args[0], ids))}
			}
			if reset {
				k.Reset(t.ID)
			}
			if start {
				if err := k.Start(t.ID, time.Now()); err != nil {
					return err
				}
			}
			if start || reset {
				if err := help.SaveProgress(path, k.Progress()); err != nil {
					return err
				}
			}
			fmt.Fprintf(out, "%s (%s)\n%s\n\n", t.Title, progress(k, t), t.Summary)
			cur, step, _, _ := k.Current()
			for i, s := range t.Steps {
				mark := "[ ]"
				if k.StepDone(t, s) {
					mark = "[x]"
				} else if cur == t && s == step {
					mark = "[>]"
				}
				fmt.Fprintf(out, "%s %d. %s\n", mark, i+1, s.Title)
				for _, line := range strings.Split(s.Text, "\n") {
					fmt.Fprintf(out, "       %s\n", line)
				}
				if s.Hint != "" {
					fmt.Fprintf(out, "       Hint: %s\n", s.Hint)
				}
			}
			if cur != t {
				fmt.Fprintf(out, "\nFollow it in hv: open Help & tutorials, then t, or run 'hv tutorial %s --start'.\n", t.ID)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&start, "start", false, "follow this tutorial the next time the UI opens")
	cmd.Flags().BoolVar(&reset, "reset", false, "forget the progress of this tutorial")
	return cmd
}

func progress(k *help.Tracker, t *help.Tutorial) string {
	done, total, finished := k.Status(t)
	cur, _, _, _ := k.Current()
	switch {
	case finished:
		return "done"
	case cur == t:
		return fmt.Sprintf("following: %d/%d steps done", done, total)
	case done > 0:
		return fmt.Sprintf("%d/%d steps done", done, total)
	}
	return "not started"
}
