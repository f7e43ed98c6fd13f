package api

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// hubSource is a hub that tells when a stream ends its subscription.
type hubSource struct {
	*AlertHub
	ended chan struct{}
}

func (h hubSource) Subscribe() (<-chan supervision.Alert, func()) {
	ch, stop := h.AlertHub.Subscribe()
	return ch, func() { stop(); h.ended <- struct{}{} }
}

// sseEvent is one block of a stream: its fields, comments under ":".
type sseEvent map[string]string

// sseStream reads the events of an event stream in the background.
type sseStream struct {
	t      *testing.T
	resp   *http.Response
	events chan sseEvent
}

func openStream(t *testing.T, ctx context.Context, url string) *sseStream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	st := &sseStream{t: t, resp: resp, events: make(chan sseEvent, 16)}
	go func() {
		defer close(st.events)
		sc := bufio.NewScanner(resp.Body)
		ev := sseEvent{}
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				st.events <- ev
				ev = sseEvent{}
				continue
			}
			k, v, _ := strings.Cut(line, ":")
			ev[k] = strings.TrimPrefix(v, " ")
		}
	}()
	return st
}

// next returns the next event, failing the test when none comes in time or
// the stream ends.
func (st *sseStream) next() sseEvent {
	st.t.Helper()
	select {
	case ev, ok := <-st.events:
		if !ok {
			st.t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		st.t.Fatal("timed out waiting for an event")
	}
	return nil
}

// ends waits for the stream to end.
func (st *sseStream) ends() {
	st.t.Helper()
	for {
		select {
		case ev, ok := <-st.events:
			if !ok {
				return
			}
			st.t.Errorf("unexpected event before the end: %v", ev)
		case <-time.After(10 * time.Second):
			st.t.Fatal("timed out waiting for the stream to end")
		}
	}
}

func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func alertsServer(opts ...Option) *Server {
	return New(Config{}, nil, nil, slog.New(slog.DiscardHandler), append(opts, WithFixedPrincipal(auth.Principal{Role: auth.Admin}))...)
}

func testAlert(id int64, town string, kind supervision.FlagKind) supervision.Alert {
	return supervision.Alert{FlagID: id, Kind: kind, Action: supervision.FlagRaise, USCC: "91441900MA4UTEST01",
		TownCode: town, GridCode: town + "001001", Score: 82.5, Title: "巡查打卡点距登记楼栋 800 米",
		At: time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC), Location: &geo.WGS84{Lon: 113.7512345678, Lat: 23.0205}}
}

func TestAlertStreamDisabled(t *testing.T) {
	rec := httptest.NewRecorder()
	alertsServer().Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/alerts/stream", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503: %s", rec.Code, rec.Body)
	}
}

func TestAlertStreamBadFilters(t *testing.T) {
	s := alertsServer(WithAlerts(NewAlertHub(0)))
	for _, tc := range []struct{ name, query, field string }{
		{"short town", "town=44190000", "town"},
		{"village as town", "town=441900003001", "town"},
		{"letters in grid", "grid=44190000300100A", "grid"},
		{"town as grid", "town=441900003&grid=441900003", "grid"},
		{"unknown kind", "kind=offsite", "kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/alerts/stream?"+tc.query, nil))
			var body errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("status %d, body %q: %v", rec.Code, rec.Body, err)
			}
			if rec.Code != http.StatusBadRequest || body.Error.Details["field"] != tc.field {
				t.Errorf("got %d %v, want 400 naming %s", rec.Code, body.Error, tc.field)
			}
		})
	}
}

func TestAlertStream(t *testing.T) {
	hub := hubSource{AlertHub: NewAlertHub(0), ended: make(chan struct{}, 16)}
	s := alertsServer(WithAlerts(hub))
	ts := httptest.NewUnstartedServer(s.Handler())
	// A write deadline long gone: the stream must clear it to be heard.
	ts.Config.WriteTimeout = time.Nanosecond
	ts.Start()
	t.Cleanup(ts.Close)
	ctx := context.Background()
	// stream opens a stream with query; hangUp ends it from the client's
	// side and waits for the handler to end its subscription.
	stream := func(t *testing.T, query string) (st *sseStream, hangUp func()) {
		ctx, cancel := context.WithCancel(ctx)
		t.Cleanup(cancel)
		return openStream(t, ctx, ts.URL+"/v1/alerts/stream"+query), func() {
			t.Helper()
			cancel()
			waitFor(t, "the handler to end after the client hung up", hub.ended)
		}
	}

	t.Run("opening", func(t *testing.T) {
		st, hangUp := stream(t, "")
		for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
			if got := st.resp.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if diff := cmp.Diff(sseEvent{"": "gridsentry alerts", "retry": "3000"}, st.next()); diff != "" {
			t.Errorf("opening (-want +got):\n%s", diff)
		}
		hangUp()
	})

	t.Run("filters", func(t *testing.T) {
		st, hangUp := stream(t, "?town=441900003&kind=off_site")
		st.next() // the opening, sent once subscribed
		hub.Publish(testAlert(1, "441900004", supervision.FlagOffSite))
		hub.Publish(testAlert(2, "441900003", supervision.FlagDormant))
		hub.Publish(testAlert(3, "441900003", supervision.FlagOffSite))
		ev := st.next()
		want := sseEvent{"id": "3", "event": "flag", "data": `{"flag_id":3,"kind":"off_site","action":"raise",` +
			`"uscc":"91441900MA4UTEST01","town_code":"441900003","grid_code":"441900003001001","score":82.5,` +
			`"title":"巡查打卡点距登记楼栋 800 米","at":"2026-03-02T09:30:00+08:00",` +
			`"location":{"type":"Point","coordinates":[113.7512346,23.0205]}}`}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Errorf("event (-want +got):\n%s", diff)
		}
		hangUp()
	})

	t.Run("no location", func(t *testing.T) {
		st, hangUp := stream(t, "?grid=441900003001001")
		st.next()
		a := testAlert(4, "441900003", supervision.FlagBlindSpot)
		a.Location, a.USCC = nil, ""
		hub.Publish(a)
		var got map[string]any
		if err := json.Unmarshal([]byte(st.next()["data"]), &got); err != nil {
			t.Fatal(err)
		}
		if got["location"] != nil || got["uscc"] != nil || got["flag_id"] != 4.0 {
			t.Errorf("got %v, want flag 4 with null location and uscc", got)
		}
		hangUp()
	})

	t.Run("resync", func(t *testing.T) {
		st, _ := stream(t, "")
		st.next()
		hub.Resync()
		if ev := st.next(); ev["event"] != "resync" || ev["data"] == "" {
			t.Errorf("got %v, want a resync event with data", ev)
		}
		st.ends()
		waitFor(t, "the handler to end", hub.ended)
	})
}

func TestAlertStreamHeartbeat(t *testing.T) {
	s := alertsServer(WithAlerts(NewAlertHub(0)))
	s.alerts.heartbeat = time.Millisecond
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openStream(t, ctx, ts.URL+"/v1/alerts/stream")
	st.next()
	if diff := cmp.Diff(sseEvent{"": "ping"}, st.next()); diff != "" {
		t.Errorf("heartbeat (-want +got):\n%s", diff)
	}
}

// TestAlertStreamShutdown checks that a stream does not hold up a server
// shutting down.
func TestAlertStreamShutdown(t *testing.T) {
	s := alertsServer(WithAlerts(NewAlertHub(0)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	st := openStream(t, context.Background(), "http://"+ln.Addr().String()+"/v1/alerts/stream")
	st.next()
	stop()
	st.ends()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
}

func TestAlertHubCutsOffSlowSubscriber(t *testing.T) {
	hub := NewAlertHub(1)
	slow, _ := hub.Subscribe()
	fast, stopFast := hub.Subscribe()
	defer stopFast()
	hub.Publish(testAlert(1, "441900003", supervision.FlagOffSite))
	if got := (<-fast).FlagID; got != 1 {
		t.Fatalf("fast got %d, want 1", got)
	}
	hub.Publish(testAlert(2, "441900003", supervision.FlagOffSite)) // slow still holds 1
	if got := (<-fast).FlagID; got != 2 {
		t.Errorf("fast got %d, want 2", got)
	}
	if got := (<-slow).FlagID; got != 1 {
		t.Errorf("slow got %d, want 1 (buffered before it fell behind)", got)
	}
	if _, open := <-slow; open {
		t.Error("slow subscriber's channel still open after falling behind")
	}
	if hub.CutOff() != 1 || hub.Subscribers() != 1 {
		t.Errorf("cut off %d, subscribers %d; want 1 and 1", hub.CutOff(), hub.Subscribers())
	}
	stopFast()
	if hub.Subscribers() != 0 {
		t.Errorf("subscribers = %d after unsubscribing, want 0", hub.Subscribers())
	}
}
