package nix

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hyper-nixos/hv/tests/need"
)

// nixInstantiate runs nix-instantiate (Nix 2.8 or later, no daemon, no
// nixpkgs needed). Without it the test is skipped with the reason, except
// under tests/run, which installs nix-bin (tests/need).
func nixInstantiate(t *testing.T, args ...string) string {
	t.Helper()
	return runNix(t, "nix-instantiate", args...)
}

// nixHash is the NAR hash of a directory, in hex, as Nix computes it.
func nixHash(t *testing.T, dir string) string {
	t.Helper()
	return runNix(t, "nix-hash", "--type", "sha256", dir)
}

func runNix(t *testing.T, tool string, args ...string) string {
	t.Helper()
	out, stderr, err := tryNix(t, tool, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, stderr)
	}
	return out
}

// tryNix runs a Nix tool and returns its output, its errors and whether it
// failed, for tests that expect a failure.
func tryNix(t *testing.T, tool string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	bin := need.Tool(t, tool, "Debian: apt-get install nix-bin; without it the Nix side of the contract is not checked")
	cmd := exec.Command(bin, args...)
	// Debian's nix-bin names a build-users group that does not exist;
	// evaluation needs no builders.
	cmd.Env = append(os.Environ(), "NIX_CONFIG=build-users-group =")
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	return string(out), errBuf.String(), err
}

// repoRoot is the repository root, where flake.nix sits.
const repoRoot = ".."

// TestNixFilesParse: every .nix file of the repository is valid Nix.
func TestNixFilesParse(t *testing.T) {
	var files []string
	filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".nix") {
			files = append(files, path)
		}
		return nil
	})
	if len(files) < 5 {
		t.Fatalf("found only %d .nix files: %v", len(files), files)
	}
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, repoRoot+"/"), func(t *testing.T) {
			nixInstantiate(t, "--parse", f)
		})
	}
}

var summary = regexp.MustCompile(`^"(\d+) passed, (\d+) failed`)

// TestNixAgrees runs the Nix half of the shared vectors, the module's
// catalog checks and the implementation coverage (nix/tests/run.nix).
func TestNixAgrees(t *testing.T) {
	out := nixInstantiate(t, "--eval", "--strict", filepath.Join("tests", "run.nix"))
	m := summary.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("run.nix printed no summary:\n%s", out)
	}
	if m[2] != "0" {
		// The failures follow the summary, one per line, escaped as Nix prints strings.
		t.Fatalf("Nix: %s passed, %s failed:\n%s", m[1], m[2], strings.ReplaceAll(out, `\n`, "\n"))
	}
	t.Logf("Nix: %s passed, 0 failed", m[1])
}

// TestNixReadsWhatGoWrites: the host file hv writes, read with
// builtins.fromTOML, gives the same values hv holds.
func TestNixReadsWhatGoWrites(t *testing.T) {
	h, err := DecodeHost(readTestdata(t, "full.toml"))
	if err != nil {
		t.Fatal(err)
	}
	h.Meta.UpdatedBy = `o'neil "the" admin`
	h.Access.LDAPBase = "ou=people,dc=exämple,dc=org"
	data, err := EncodeHost(h)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "host.toml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := nixInstantiate(t, "--eval", "--strict", "--json", "-E", "builtins.fromTOML (builtins.readFile "+path+")")
	var fromNix, fromGo any
	if err := json.Unmarshal([]byte(out), &fromNix); err != nil {
		t.Fatal(err)
	}
	goJSON, _ := json.Marshal(h.Values())
	json.Unmarshal(goJSON, &fromGo)
	if !reflect.DeepEqual(fromNix, fromGo) {
		t.Errorf("Nix reads\n%s\nhv holds\n%s", out, goJSON)
	}
}

var vendorHashLine = regexp.MustCompile(`vendorHash = "(sha256-[A-Za-z0-9+/=]+)";`)

// TestVendorHashIsCurrent: nix/package.nix's vendorHash matches go.mod, or
// the flake's package fails to build. Fix: nix/vendor-hash.sh --write.
func TestVendorHashIsCurrent(t *testing.T) {
	pkg, err := os.ReadFile("package.nix")
	if err != nil {
		t.Fatal(err)
	}
	m := vendorHashLine.FindSubmatch(pkg)
	if m == nil {
		t.Fatal("nix/package.nix has no vendorHash = \"sha256-...\"")
	}
	vendor := filepath.Join(t.TempDir(), "vendor")
	cmd := exec.Command("go", "mod", "vendor", "-o", vendor)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor: %v\n%s", err, out)
	}
	hexHash := strings.TrimSpace(nixHash(t, vendor))
	raw, err := hex.DecodeString(hexHash)
	if err != nil {
		t.Fatalf("nix-hash printed %q", hexHash)
	}
	if want := "sha256-" + base64.StdEncoding.EncodeToString(raw); string(m[1]) != want {
		t.Errorf("nix/package.nix has vendorHash %s, go.mod needs %s: run nix/vendor-hash.sh --write", m[1], want)
	}
}
