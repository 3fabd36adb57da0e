package nix

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecodeHost: no input panics the decoder, and whatever it accepts, hv
// writes back in a form it reads to the same values. Seeds: the files in
// testdata/hosts and testdata/fuzz/FuzzDecodeHost, and the cases below.
func FuzzDecodeHost(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "hosts", "*.toml"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		minimal,
		minimal + "[network]\nvlans = [1, 2, 3]\n",
		minimal + "[meta]\nupdated = 1979-05-27T07:32:00Z\n",
		"version = 2\n",
		"version = 1\nphase = 'setup'\nfeatures = ['a', \"b\"]\n[operators]\nusers = []\n",
		"[[network]]\nx = 1\n",
		"version = 1\nphase = \"\\u0000\"\nfeatures = []\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := DecodeHost(data)
		if err != nil {
			return
		}
		out, err := EncodeHost(h)
		if err != nil {
			t.Fatalf("accepted but cannot write back: %v", err)
		}
		back, err := DecodeHost(out)
		if err != nil {
			t.Fatalf("hv cannot read what it wrote: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(h, back) {
			t.Fatalf("round trip changed the values:\n%+v\n%+v", h, back)
		}
	})
}
