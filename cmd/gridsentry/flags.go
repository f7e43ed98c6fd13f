package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/supervision"
)

// runFlags evaluates the flag rules from the command line: recompute runs
// the full evaluation (what serve does every -flags-full-every), evaluate
// drains the queue of changed entities once.
func runFlags(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("flags", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gridsentry flags recompute|evaluate [flags]")
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	cfg.registerFlagRules(fs)
	if len(args) == 0 || args[0] != "recompute" && args[0] != "evaluate" {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("flags: say recompute or evaluate")}
	}
	action := args[0]
	if err := parse(fs, args[1:], 0); err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	db, err := openReady(ctx, &cfg, log, stderr, "flags")
	if err != nil {
		return err
	}
	defer db.Close()
	if action == "recompute" {
		return recomputeFlags(ctx, &cfg, db, log, stderr)
	}
	fc, err := cfg.flagConfig()
	if err != nil {
		return err
	}
	db.SetFlagConfig(fc)
	total := postgres.FlagRun{Changes: map[supervision.FlagAction]int{}}
	for {
		run, err := db.EvaluateQueued(ctx, time.Now(), 2000)
		if err != nil {
			return fmt.Errorf("flags: evaluate: %w", err)
		}
		if run.Entities == 0 {
			break
		}
		total.Entities += run.Entities
		for k, v := range run.Changes {
			total.Changes[k] += v
		}
	}
	fmt.Fprintf(stdout, "evaluated %d queued entities: %s\n", total.Entities, changeSummary(total.Changes))
	return nil
}

// recomputeFlags runs the full evaluation with a progress bar on w.
func recomputeFlags(ctx context.Context, cfg *config, db *postgres.DB, log *slog.Logger, w io.Writer) error {
	fc, err := cfg.flagConfig()
	if err != nil {
		return err
	}
	db.SetFlagConfig(fc)
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("evaluating the flag rules"), progressbar.OptionSetItsString("entities"), progressbar.OptionShowIts(),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionShowCount(), progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	run, err := db.RecomputeFlags(ctx, time.Now(), func(done, total int) {
		bar.ChangeMax(total)
		_ = bar.Set(done)
	})
	if err != nil {
		return fmt.Errorf("flags: recompute failed, the flags are as they were: %w", err)
	}
	_ = bar.Finish()
	log.Info("flags evaluated", "entities", run.Entities, "findings", run.Findings,
		"changes", changeSummary(run.Changes), "took", run.Took.Round(time.Millisecond).String(),
		"facts_took", run.FactsTook.Round(time.Millisecond).String())
	return nil
}

// changeSummary writes the counts of a run's changes in a fixed order.
func changeSummary(m map[supervision.FlagAction]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	slices.Sort(keys)
	out := ""
	for _, k := range keys {
		out += fmt.Sprintf("%s %d, ", k, m[supervision.FlagAction(k)])
	}
	if out == "" {
		return "no changes"
	}
	return out[:len(out)-2]
}
