package envoyconfig

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// update rewrites the golden files and SUPPORTED.md instead of comparing.
var update = flag.Bool("update", false, "rewrite testdata/*.golden and SUPPORTED.md")

// TestGolden parses each testdata/*.yaml and *.json and compares the error,
// or a summary of the config, with the .golden file next to it.
func TestGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.yaml")
	jsons, _ := filepath.Glob("testdata/*.json")
	inputs = append(inputs, jsons...)
	if len(inputs) == 0 {
		t.Fatal("no testdata")
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(data, filepath.Base(in))
			var got string
			if err != nil {
				got = "error:\n" + err.Error() + "\n"
			} else {
				got = summary(t, c)
				checkRoundTrip(t, c)
			}
			golden := strings.TrimSuffix(in, filepath.Ext(in)) + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs (run with -update to accept)\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

// summary lists the resolved type of every Any, the bytes each plugin
// configuration gives the plugin, and the warnings.
func summary(t *testing.T, c *Config) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "source: %s\ntyped configs:\n", c.Source)
	var configs []string
	walkAnys(t, c.Bootstrap.ProtoReflect(), "", func(path string, a *anypb.Any, opaque bool) {
		fmt.Fprintf(&b, "  %s: %s\n", path, a.GetTypeUrl())
		if opaque {
			raw, err := PluginConfiguration(a)
			if err != nil {
				t.Errorf("%s: %v", path, err)
			}
			configs = append(configs, fmt.Sprintf("  %s: %s", path, strconv.Quote(string(raw))))
		}
	})
	b.WriteString("plugin configurations:\n")
	for _, s := range configs {
		b.WriteString(s + "\n")
	}
	b.WriteString("warnings:\n")
	for _, w := range c.Warnings {
		b.WriteString("  " + w + "\n")
	}
	return b.String()
}

// walkAnys calls fn for every Any in m, in field order, descending into
// those that are not opaque.
func walkAnys(t *testing.T, m protoreflect.Message, path string, fn func(string, *anypb.Any, bool)) {
	md := m.Descriptor()
	fds := md.Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		if !m.Has(fd) {
			continue
		}
		p := joinPath(path, string(fd.Name()))
		one := func(v protoreflect.Value, p string) {
			if a, ok := v.Message().Interface().(*anypb.Any); ok {
				op := isOpaque(md.FullName(), fd.Name())
				fn(p, a, op)
				if !op {
					inner, err := anypb.UnmarshalNew(a, proto.UnmarshalOptions{Resolver: types})
					if err != nil {
						t.Fatalf("%s: %v", p, err)
					}
					walkAnys(t, inner.ProtoReflect(), p, fn)
				}
				return
			}
			walkAnys(t, v.Message(), p, fn)
		}
		switch {
		case fd.IsList() && fd.Message() != nil:
			for j := range m.Get(fd).List().Len() {
				one(m.Get(fd).List().Get(j), p+"["+strconv.Itoa(j)+"]")
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			m.Get(fd).Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				one(v, p+"["+strconv.Quote(k.String())+"]")
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			one(m.Get(fd), p)
		}
	}
}

// checkRoundTrip checks that a parsed config printed as JSON parses again to
// the same proto with the same warnings.
func checkRoundTrip(t *testing.T, c *Config) {
	t.Helper()
	js, err := protojson.MarshalOptions{Resolver: types}.Marshal(c.Bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(js, c.Source)
	if err != nil {
		t.Fatalf("round trip: %v\n%s", err, js)
	}
	if !proto.Equal(again.Bootstrap, c.Bootstrap) {
		t.Errorf("round trip changed the config:\n%s", js)
	}
	if strings.Join(again.Warnings, "\n") != strings.Join(c.Warnings, "\n") {
		t.Errorf("round trip changed the warnings: %q", again.Warnings)
	}
}
