package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wasmesh/wasmesh/oci/ocitest"
)

var digestLine = regexp.MustCompile(`^sha256:[0-9a-f]{64}\n$`)

// TestPushPullImagesTagRm drives the commands against an in-process
// registry, as a user would.
func TestPushPullImagesTagRm(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no saved credentials
	host := ocitest.NewRegistry(t)
	store, other := goldenStore(t), filepath.Join(t.TempDir(), "other")
	ref := host + "/acme/recorder:1.0"

	if _, stderr, err := ociRun(t, "", "tag", "ghcr.io/acme/recorder:1.0", ref, "--store", store); err != nil {
		t.Fatalf("tag: %v %s", err, stderr)
	}
	pushed, stderr, err := ociRun(t, "", "push", ref, "--store", store)
	if err != nil || !digestLine.MatchString(pushed) {
		t.Fatalf("push: %q, %v\n%s", pushed, err, stderr)
	}
	if !strings.Contains(stderr, "pushing sha256:") || !strings.Contains(stderr, ref+": digest: "+strings.TrimSpace(pushed)) {
		t.Errorf("push progress:\n%s", stderr)
	}

	pulled, stderr, err := ociRun(t, "", "pull", ref, "--store", other)
	if err != nil || pulled != pushed {
		t.Fatalf("pull: %q (pushed %q), %v\n%s", pulled, pushed, err, stderr)
	}
	out, _, err := ociRun(t, "", "pull", ref, "--store", other, "-o", "json")
	var rd refDigest
	if err != nil || json.Unmarshal([]byte(out), &rd) != nil || rd.Ref != ref || rd.Digest+"\n" != pushed {
		t.Errorf("pull -o json: %s, %v", out, err)
	}
	out, _, _ = ociRun(t, "", "images", "--store", other)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := ref + " " + strings.TrimSpace(pushed)[7:19] + " 1.0 KiB 0.2.1 recorder c 2026-01-02T03:04:05Z"
	if len(lines) != 2 || strings.Join(strings.Fields(lines[1]), " ") != want {
		t.Errorf("images after pull:\n%s", out)
	}

	// Errors name the reference and exit 1.
	_, _, err = ociRun(t, "", "push", host+"/acme/nothing:1", "--store", store)
	if err == nil || err.Error() != "oci: image "+host+"/acme/nothing:1 not found in the local store" {
		t.Errorf("push of a missing image: %v", err)
	}
	_, _, err = ociRun(t, "", "pull", host+"/acme/nothing:1", "--store", other)
	if err == nil || err.Error() != "oci: image "+host+"/acme/nothing:1 not found in registry "+host {
		t.Errorf("pull of a missing image: %v", err)
	}
	if code := Main([]string{"pull", host + "/acme/nothing:1", "--store", other}); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}

	// rm tries every name and reports the missing ones.
	out, _, err = ociRun(t, "", "rm", "ghcr.io/acme/recorder:latest", "nope:1", "--store", store)
	if out != "removed ghcr.io/acme/recorder:latest\n" || err == nil || !strings.Contains(err.Error(), "image nope:1 not found") {
		t.Errorf("rm: %q, %v", out, err)
	}
	out, _, _ = ociRun(t, "", "images", "--store", store)
	if strings.Contains(out, "recorder:latest") || !strings.Contains(out, "ghcr.io/acme/recorder:1.0") {
		t.Errorf("images after rm:\n%s", out)
	}
}

func TestLoginLogout(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", filepath.Join(home, ".docker"))
	host := ocitest.NewRegistry(t, ocitest.WithBasicAuth("alice", "s3cret"))
	store := goldenStore(t)
	ref := host + "/acme/recorder:1.0"
	if _, _, err := ociRun(t, "", "tag", "ghcr.io/acme/recorder:1.0", ref, "--store", store); err != nil {
		t.Fatal(err)
	}

	if _, _, err := ociRun(t, "", "push", ref, "--store", store); err == nil || !strings.Contains(err.Error(), "registry "+host+" refused the credentials") {
		t.Errorf("push before login: %v", err)
	}
	if _, _, err := ociRun(t, "wrong\n", "login", host, "-u", "alice", "--password-stdin"); err == nil ||
		!strings.Contains(err.Error(), "refused the credentials") {
		t.Errorf("login with a wrong password: %v", err)
	}
	if _, _, err := ociRun(t, "", "login", host); err == nil || !strings.Contains(err.Error(), "-u") {
		t.Errorf("login without -u: %v", err)
	}
	out, _, err := ociRun(t, "s3cret\n", "login", host, "-u", "alice", "--password-stdin")
	if err != nil || out != "Login Succeeded\n" {
		t.Fatalf("login: %q, %v", out, err)
	}
	if out, stderr, err := ociRun(t, "", "push", ref, "--store", store); err != nil || !digestLine.MatchString(out) {
		t.Errorf("push after login: %q, %v\n%s", out, err, stderr)
	}
	out, _, err = ociRun(t, "", "logout", host)
	if err != nil || out != "Removed login credentials for "+host+"\n" {
		t.Errorf("logout: %q, %v", out, err)
	}
	if _, _, err := ociRun(t, "", "pull", ref, "--store", store); err == nil {
		t.Error("pull after logout succeeded")
	}
	if out, _, err := ociRun(t, "", "pull", ref, "--store", store, "-u", "alice", "-p", "s3cret"); err != nil || !digestLine.MatchString(out) {
		t.Errorf("pull -u -p: %q, %v", out, err)
	}
}
