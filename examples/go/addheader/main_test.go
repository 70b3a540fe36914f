package main

import "testing"

func TestParseConfig(t *testing.T) {
	tests := []struct {
		in      string
		want    config
		wantErr bool
	}{
		{"", config{"hello", "world"}, false},
		{"  \n", config{"hello", "world"}, false},
		{"bar", config{"hello", "bar"}, false},
		{`"quoted"`, config{"hello", "quoted"}, false},
		{`{"header":"x-wasm-filter","value":"world"}`, config{"x-wasm-filter", "world"}, false},
		{`{"value":"v"}`, config{"hello", "v"}, false},
		{`{"header":"x-a"}`, config{"x-a", "world"}, false},
		{`{"header":""}`, config{}, true},
		{`{"header":`, config{}, true},
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
