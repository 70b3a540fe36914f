package main

import "testing"

func TestParseConfig(t *testing.T) {
	tests := []struct {
		in      string
		want    config
		wantErr bool
	}{
		{"", config{"hello", "bye", true, true}, false},
		{`{"from":"foo","to":"bar"}`, config{"foo", "bar", true, true}, false},
		{`{"from":"foo","to":"","request":false}`, config{"foo", "", false, true}, false},
		{`{"from":""}`, config{}, true},
		{`not json`, config{}, true},
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

func TestReplaceAll(t *testing.T) {
	c := config{From: "hello", To: "bye"}
	if got := string(replaceAll([]byte("hello world, hello"), c)); got != "bye world, bye" {
		t.Errorf("replaceAll = %q", got)
	}
}
