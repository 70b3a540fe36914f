package main

import "testing"

func TestParseConfig(t *testing.T) {
	tests := []struct {
		in      string
		want    config
		wantErr bool
	}{
		{"", config{"auth", "/auth", "auth", 5000}, false},
		{`{"cluster":"authz","path":"/check"}`, config{"authz", "/check", "authz", 5000}, false},
		{`{"cluster":"a","path":"/p","authority":"auth.local","timeout_ms":100}`, config{"a", "/p", "auth.local", 100}, false},
		{`{"cluster":""}`, config{}, true},
		{`{`, config{}, true},
	}
	for _, tt := range tests {
		got, err := parseConfig([]byte(tt.in))
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseConfig(%q) = %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseConfig(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}
