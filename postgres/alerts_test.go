package postgres_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
)

// alertSink records what a listener hands over.
type alertSink struct {
	alerts  chan supervision.Alert
	resyncs chan struct{}
}

func (s *alertSink) Publish(a supervision.Alert) { s.alerts <- a }
func (s *alertSink) Resync()                     { s.resyncs <- struct{}{} }

var _ postgres.AlertSink = (*alertSink)(nil)

// TestAlertListener checks that an alert published in a committed
// transaction reaches the sink, one in a rolled-back transaction does not,
// and the listener comes back (and says so) after its backend is killed.
func TestAlertListener(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.NewURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)

	sink := &alertSink{alerts: make(chan supervision.Alert, 16), resyncs: make(chan struct{}, 16)}
	runListener(t, postgres.NewAlertListener(db, sink, slog.New(slog.DiscardHandler)).Run)

	next := func() supervision.Alert {
		t.Helper()
		select {
		case a := <-sink.alerts:
			return a
		case <-time.After(10 * time.Second):
			t.Fatal("timed out waiting for an alert")
			return supervision.Alert{}
		}
	}
	publish := func(a supervision.Alert, commit bool) {
		t.Helper()
		tx, err := db.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if err := postgres.PublishAlert(ctx, tx, a); err != nil {
			t.Fatal(err)
		}
		if commit {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	alert := func(id int64) supervision.Alert {
		return supervision.Alert{FlagID: id, Kind: supervision.FlagOffSite, Action: supervision.FlagRaise,
			USCC: "91441900MA4UTEST01", TownCode: "441900003", GridCode: "441900003001001", Score: 80,
			Title: "巡查打卡点距登记楼栋 800 米", At: time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC),
			Location: &geo.WGS84{Lon: 113.7512, Lat: 23.0205}}
	}

	waitFor(t, "the listener to listen", sink.resyncs)

	t.Run("committed", func(t *testing.T) {
		publish(alert(1), true)
		if diff := cmp.Diff(alert(1), next()); diff != "" {
			t.Errorf("alert (-want +got):\n%s", diff)
		}
	})
	t.Run("rolled back", func(t *testing.T) {
		publish(alert(2), false)
		publish(alert(3), true)
		// Notifications arrive in commit order: had the rolled-back one
		// been sent, it would come first.
		if got := next().FlagID; got != 3 {
			t.Errorf("got the alert of flag %d, want 3 (2 was rolled back)", got)
		}
	})
	t.Run("long title", func(t *testing.T) {
		a := alert(4)
		a.Title = strings.Repeat("东莞", 3000) // 18,000 bytes: over NOTIFY's limit
		publish(a, true)
		got := next()
		if !strings.HasSuffix(got.Title, "…") || !utf8.ValidString(got.Title) || !strings.HasPrefix(a.Title, strings.TrimSuffix(got.Title, "…")) {
			t.Errorf("title of %d bytes not cut cleanly: ends %q", len(got.Title), got.Title[max(len(got.Title)-12, 0):])
		}
		if got.FlagID != 4 || got.Kind != a.Kind {
			t.Errorf("got flag %d %s, want 4 %s", got.FlagID, got.Kind, a.Kind)
		}
	})
	t.Run("reconnects", func(t *testing.T) {
		killListener(t, db, "gridsentry alerts")
		waitFor(t, "the listener to listen again", sink.resyncs)
		publish(alert(5), true)
		if got := next().FlagID; got != 5 {
			t.Errorf("after reconnecting, got the alert of flag %d, want 5", got)
		}
	})
}
