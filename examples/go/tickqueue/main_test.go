package main

import "testing"

func TestParseTickPeriod(t *testing.T) {
	tests := []struct {
		in      string
		want    uint32
		wantErr bool
	}{
		{"", 1000, false},
		{"250", 250, false},
		{" 0 ", 0, false},
		{`{"tick_period_ms":500}`, 500, false},
		{`{}`, 1000, false},
		{"-1", 0, true},
		{"1s", 0, true},
		{`{"tick_period_ms":"x"}`, 0, true},
	}
	for _, tt := range tests {
		got, err := parseTickPeriod([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseTickPeriod(%q) = %d, %v; want %d (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
