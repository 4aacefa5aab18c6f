// The baseline of the metrics bench: Prometheus' own text parser (expfmt) on the same file, in
// process, median of 7 runs after one warm-up, in milliseconds on stdout.
package main

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var runs []float64
	for i := 0; i < 8; i++ {
		parser := expfmt.NewTextParser(model.UTF8Validation)
		start := time.Now()
		families, err := parser.TextToMetricFamilies(bytes.NewReader(data))
		ms := float64(time.Since(start).Nanoseconds()) / 1e6
		if err != nil || len(families) == 0 {
			panic(fmt.Sprint("expfmt refused the bench input: ", err))
		}
		if i > 0 {
			runs = append(runs, ms)
		}
	}
	sort.Float64s(runs)
	fmt.Printf("%.1f\n", runs[len(runs)/2])
}
