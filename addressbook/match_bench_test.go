package addressbook_test

import (
	"context"
	"testing"

	"github.com/gridsentry/gridsentry/demo"
)

// BenchmarkMatch validates the generator's messy addresses against the demo
// city index, one after another on one goroutine.
func BenchmarkMatch(b *testing.B) {
	ix := demoCityIndex(b)
	cases, err := demo.GenerateAddressCases(context.Background(), demo.Config{Scale: demo.ScaleDemo, Seed: 2}, 5000)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Match(cases[i%len(cases)].Text, "")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "addresses/s")
}
