package main

import "testing"

func TestParseKey(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"", "request_count", false},
		{"hits", "hits", false},
		{`"hits"`, "hits", false},
		{`{"key":"hits"}`, "hits", false},
		{`{}`, "request_count", false},
		{`{"key":`, "", true},
	}
	for _, tt := range tests {
		got, err := parseKey([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseKey(%q) = %q, %v; want %q (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
