package config

import "testing"

func TestHash(t *testing.T) {
	// sha256("controller: {workers: 4}\n") = 5b1b…; the first 16 hex digits are what vitictl computes
	a := Hash("controller: {workers: 4}\n", true)
	if len(a) != 16 {
		t.Fatalf("hash %q: want 16 hex digits", a)
	}
	if a != Hash("controller: {workers: 4}\n", true) {
		t.Error("the same content must hash the same")
	}
	if a == Hash("controller: {workers: 5}\n", true) {
		t.Error("different content must hash differently")
	}
	if got := Hash("", false); got != HashAbsent {
		t.Errorf("absent: %q", got)
	}
	if Hash("", true) == HashAbsent {
		t.Error("an empty key is present, not absent")
	}
	// pinned: the TypeScript side (src/tune/verify/generation.ts) computes the same digest
	if got := Hash("x", true); got != "2d711642b726b044" {
		t.Errorf("sha256(\"x\")[:16] = %q", got)
	}
}

func TestGeneration(t *testing.T) {
	cases := []struct {
		snap Snapshot
		want float64
	}{
		{Snapshot{Content: "a", Found: true, ResourceVersion: "4711"}, 4711},
		{Snapshot{Content: "a", Found: true, ResourceVersion: "opaque-v1"}, 0},
		{Snapshot{Found: false, ResourceVersion: "12"}, 0},
		{Snapshot{Content: "a", Found: true}, 0},
	}
	for _, c := range cases {
		if got := c.snap.Generation(); got != c.want {
			t.Errorf("%+v: %v, want %v", c.snap, got, c.want)
		}
	}
}
