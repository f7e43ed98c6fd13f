package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gridsentry/gridsentry/demo"
)

// runCases writes the demo generator's typed addresses with their ground
// truth, or the same addresses as requests for the validate API or for the
// vegeta load generator. The benchmarks use it.
func runCases(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo-cases", flag.ContinueOnError)
	fs.SetOutput(stderr)
	city := demoFlags(fs) // the database's city must have the same scale and seed
	n := fs.Int("n", 10000, "number of addresses")
	repeat := fs.Int("repeat", 1, "write the addresses this many times (to make large batches)")
	format := fs.String("format", "cases", "cases (NDJSON with ground truth), validate (NDJSON requests for /v1/addresses/validate:batch) or vegeta (JSON targets)")
	url := fs.String("url", "http://127.0.0.1:8080", "server URL for -format vegeta")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	dc, err := city()
	if err != nil {
		return err
	}
	if *n < 1 || *repeat < 1 {
		return fmt.Errorf("-n and -repeat must be at least 1")
	}
	cases, err := demo.GenerateAddressCases(ctx, dc, *n)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(stdout, 1<<16)
	defer w.Flush()
	switch *format {
	case "cases":
		return demo.WriteAddressCases(w, cases)
	case "validate", "vegeta":
	default:
		return fmt.Errorf("-format: %q is not cases, validate or vegeta", *format)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	target := strings.TrimRight(*url, "/") + "/v1/addresses/validate"
	for range *repeat {
		for _, c := range cases {
			body, _ := json.Marshal(map[string]string{"address": c.Text})
			var v any = json.RawMessage(body)
			if *format == "vegeta" {
				v = map[string]any{"method": "POST", "url": target, "body": base64.StdEncoding.EncodeToString(body),
					"header": map[string][]string{"Content-Type": {"application/json"}}}
			}
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
	}
	return nil
}
