package tests

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's commands run as written: the scripts they name exist and
// are executable, and none needs sudo, which a root shell may not have
// (the scripts say themselves when they need root).
func TestReadmeCommandsRunAsWritten(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	if len(blocks) == 0 {
		t.Fatal("the README has no sh blocks")
	}
	for _, b := range blocks {
		for _, line := range strings.Split(b[1], "\n") {
			cmd := strings.Fields(line)
			if len(cmd) == 0 || strings.HasPrefix(cmd[0], "#") {
				continue
			}
			if cmd[0] == "sudo" {
				t.Errorf("README command %q needs sudo; as root there may be none", line)
				continue
			}
			if script := strings.TrimPrefix(cmd[0], "./"); strings.Contains(script, "/") || script != cmd[0] {
				info, err := os.Stat("../" + script)
				if err != nil || info.Mode()&0o111 == 0 {
					t.Errorf("README command %q: %s is not an executable script (%v)", line, script, err)
				}
			}
		}
	}
}

// The files the README and the code's comments send readers to exist in
// the repository (they cited a DESIGN.md that was not there).
func TestDocsNameFilesThatExist(t *testing.T) {
	path := regexp.MustCompile("`((?:[a-z0-9_.-]+/)*[A-Za-z0-9_-]+\\.(?:md|sh|nix|toml|xml|1))`")
	for _, doc := range []string{"../README.md", "../docs/ARCHITECTURE.md"} {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range path.FindAllStringSubmatch(string(data), -1) {
			if _, err := os.Stat("../" + m[1]); err != nil && !strings.Contains(m[1], "host.toml") && !strings.HasPrefix(m[1], "last-apply") {
				t.Errorf("%s names %s, which is not in the repository", doc, m[1])
			}
		}
	}
	data, _ := os.ReadFile("doc.go")
	if strings.Contains(string(data), "DESIGN.md") {
		t.Error("tests/doc.go cites DESIGN.md, which is not in the repository")
	}
}
