package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/help"
	"github.com/hyper-nixos/hv/ui"
)

// newHelpCmd replaces cobra's help command: 'hv help vm list' still shows
// a command's help, and 'hv help TOPIC' prints a topic of the built-in
// documentation, the same the TUI's help browser shows. One word space
// for both is what people type (as with git help); commands win, and a
// test keeps topic ids apart from command names.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	var level string
	cmd := &cobra.Command{
		Use:   "help [COMMAND... | TOPIC | WORDS...]",
		Short: "Help on a command, or a topic of hv's documentation",
		Long: "Without arguments, lists the topics of hv's documentation. With a command, shows its help;\n" +
			"with a topic id, prints the topic at your level; with other words, searches the topics.",
		ValidArgsFunction: complete(nil, topicIDs),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			lib := help.Builtin()
			l, err := cliLevel(level)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				listTopics(out, lib)
				return nil
			}
			if c, rest, err := root.Find(args); err == nil && c != root && len(rest) == 0 {
				return c.Help()
			}
			if t, ok := lib.Topics.Topic(args[0]); ok && len(args) == 1 {
				printTopic(out, lib, t, l)
				return nil
			}
			res := lib.Topics.Search(strings.Join(args, " "))
			if len(res) == 0 {
				var names []string
				for _, c := range root.Commands() {
					names = append(names, c.Name())
				}
				for _, t := range lib.Topics.All() {
					names = append(names, t.ID)
				}
				return usageError{fmt.Errorf("no command or topic matches %q%s: 'hv help' lists the topics", strings.Join(args, " "), didYouMean(args[0], names))}
			}
			fmt.Fprintf(out, "Topics about %q (hv help TOPIC prints one):\n\n", strings.Join(args, " "))
			for _, r := range res {
				fmt.Fprintf(out, "  %-28s %s\n      %s\n", r.Topic.ID, r.Topic.Title, r.Snippet)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&level, "level", "", "the level to print a topic at: beginner, intermediate or expert (default: yours)")
	return cmd
}

// cliLevel is the level asked for, else the operator's own.
func cliLevel(flag string) (help.Level, error) {
	if flag != "" {
		l, err := help.ParseLevel(flag)
		if err != nil {
			return l, usageError{err}
		}
		return l, nil
	}
	path, err := help.SettingsPath()
	if err != nil {
		return help.Beginner, nil
	}
	s, err := help.LoadSettings(path)
	if err != nil {
		return help.Beginner, err
	}
	return s.Level, nil
}

func listTopics(out io.Writer, lib *help.Library) {
	fmt.Fprintln(out, "Topics of hv's documentation; 'hv help TOPIC' prints one, 'hv help WORDS' searches.")
	fmt.Fprintln(out, "Commands have their own help: 'hv help vm list' or 'hv vm list --help'.")
	group := ""
	for _, t := range lib.Topics.All() {
		if t.Group != group {
			group = t.Group
			fmt.Fprintf(out, "\n%s\n", group)
		}
		fmt.Fprintf(out, "  %-28s %s\n", t.ID, t.Summary)
	}
}

// printTopic prints a topic at level l: rendered for a terminal, or as
// markdown (links named by topic id) when piped.
func printTopic(out io.Writer, lib *help.Library, t *help.Topic, l help.Level) {
	if f, ok := out.(term.File); ok && term.IsTerminal(f.Fd()) {
		w, _, err := term.GetSize(f.Fd())
		if err != nil || w <= 0 {
			w = 80
		}
		c := ui.NewCommon(nil, "", os.Getenv("TERM"))
		c.Level = l
		md, links := ui.TopicMarkdown(lib.Topics, t, l)
		var refs []string
		for i, k := range links {
			refs = append(refs, fmt.Sprintf("[%d] hv help %s", i+1, k.To))
		}
		if len(refs) > 0 {
			md += "\n\n" + strings.Join(refs, "  \n")
		}
		fmt.Fprintln(out, c.Markdown(md, min(w, 100)))
		return
	}
	links := lib.Topics.Links(t, l)
	md := help.ReplaceLinks(t.Text(l), links, func(_ int, k help.Link) string {
		return k.Text + " (hv help " + k.To + ")"
	})
	fmt.Fprintln(out, md)
	var see []string
	for _, k := range links {
		if !strings.Contains(md, "(hv help "+k.To+")") {
			see = append(see, "  hv help "+k.To+"    "+k.Text)
		}
	}
	if len(see) > 0 {
		fmt.Fprintf(out, "\nSee also:\n%s\n", strings.Join(see, "\n"))
	}
}

// levelCmd shows or sets the operator's experience level.
func newLevelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "level [beginner|intermediate|expert]",
		Short: "Show or set how much hv explains (your experience level)",
		Args:  usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := help.SettingsPath()
			if err != nil {
				return err
			}
			s, err := help.LoadSettings(path)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", s.Level, s.Level.Describe())
				return nil
			}
			if s.Level, err = help.ParseLevel(args[0]); err != nil {
				return usageError{err}
			}
			if err := help.SaveSettings(path, s); err != nil {
				var fe *help.FileError
				if errors.As(err, &fe) {
					return err
				}
				return fmt.Errorf("saving %s: %w", path, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", s.Level, s.Level.Describe())
			return nil
		},
	}
}
