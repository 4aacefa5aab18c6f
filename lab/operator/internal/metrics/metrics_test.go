package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// One series at a time: a new config replaces the old one's series, so a scrape never shows two.
func TestSetConfigGeneration(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(ConfigGeneration)
	SetConfigGeneration("absent", 0)
	SetConfigGeneration("2d711642b726b044", 4711)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 || families[0].GetName() != "vitistack_config_generation" {
		t.Fatalf("families: %v", families)
	}
	series := families[0].GetMetric()
	if len(series) != 1 {
		t.Fatalf("want one series, got %d", len(series))
	}
	labels := series[0].GetLabel()
	if len(labels) != 1 || labels[0].GetName() != "hash" || labels[0].GetValue() != "2d711642b726b044" {
		t.Errorf("labels: %v", labels)
	}
	if v := series[0].GetGauge().GetValue(); v != 4711 {
		t.Errorf("value %v", v)
	}
}
