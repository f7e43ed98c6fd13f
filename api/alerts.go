package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb/geojson"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// AlertSource gives the alerts raised from now on. Subscribe returns a
// channel of them and a function that ends the subscription. The source
// closes the channel when it ends a subscription itself (it may have
// missed alerts, or the subscriber fell behind): the stream then tells
// its client to reconnect and re-read the open flags.
type AlertSource interface {
	Subscribe() (<-chan supervision.Alert, func())
}

// WithAlerts enables GET /v1/alerts/stream over src.
func WithAlerts(src AlertSource) Option {
	return func(s *Server) { s.alerts.source = src }
}

// defaultHeartbeat is how often an idle stream sends a comment, so that
// proxies and the client see the connection alive.
const defaultHeartbeat = 15 * time.Second

// alertStreams serves the alert stream; the Server keeps it in its alerts
// field.
type alertStreams struct {
	source    AlertSource
	heartbeat time.Duration // between comments; defaultHeartbeat when zero
	open      prometheus.Gauge
	resyncs   prometheus.Counter
}

func (s *Server) alertRoutes(r *mux.Router) {
	s.alerts.open = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gridsentry_alert_streams",
		Help: "Alert streams open on this node.",
	})
	s.alerts.resyncs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gridsentry_alert_stream_resyncs_total",
		Help: "Alert streams the server ended with a resync event (alerts may have been missed, or the client fell behind).",
	})
	s.registry.MustRegister(s.alerts.open, s.alerts.resyncs)
	s.protect(r, http.MethodGet, "/v1/alerts/stream", endpoint{perm: auth.ReadFlags}, s.alertStream)
}

// alertFilter selects the alerts of a stream; empty fields select all.
type alertFilter struct {
	town, grid string
	kind       supervision.FlagKind
}

func parseAlertFilter(r *http.Request) (alertFilter, error) {
	if err := checkQuery(r); err != nil {
		return alertFilter{}, err
	}
	q := &query{r: r}
	f := alertFilter{town: q.code("town", "town", 9), grid: q.code("grid", "grid", 15),
		kind: parsed(q, "kind", supervision.ParseFlagKind)}
	if q.err != nil {
		return f, q.err
	}
	return f, scopeTown(r.Context(), &f.town)
}

func (f alertFilter) match(a supervision.Alert) bool {
	return (f.town == "" || a.TownCode == f.town) && (f.grid == "" || a.GridCode == f.grid) &&
		(f.kind == "" || a.Kind == f.kind)
}

// alertJSON is an alert as the stream sends it.
type alertJSON struct {
	FlagID   int64             `json:"flag_id"`
	Kind     string            `json:"kind"`
	Action   string            `json:"action"`
	USCC     *string           `json:"uscc"`
	TownCode *string           `json:"town_code"`
	GridCode *string           `json:"grid_code"`
	Score    float64           `json:"score"`
	Title    string            `json:"title"`
	At       time.Time         `json:"at"`
	Location *geojson.Geometry `json:"location"`
}

func toAlertJSON(a supervision.Alert) alertJSON {
	return alertJSON{FlagID: a.FlagID, Kind: string(a.Kind), Action: string(a.Action), USCC: strOrNil(string(a.USCC)),
		TownCode: strOrNil(a.TownCode), GridCode: strOrNil(a.GridCode), Score: a.Score, Title: a.Title,
		At: beijing(a.At), Location: pointJSON(a.Location)}
}

// resyncEvent ends a stream the source closed.
const resyncEvent = "event: resync\ndata: {\"reason\":\"alerts may have been missed: reconnect and re-read the open flags\"}\n\n"

// alertStream sends the alerts that pass the request's filters as
// Server-Sent Events until the client hangs up or the server shuts down
// (both end the request's context), or the source ends the subscription.
func (s *Server) alertStream(w http.ResponseWriter, r *http.Request) error {
	if s.alerts.source == nil {
		return derrors.New(derrors.Unavailable, "the alert stream is not enabled on this server")
	}
	f, err := parseAlertFilter(r)
	if err != nil {
		return err
	}
	// The server's read and write timeouts would cut the stream: a
	// timed-out background read cancels the request's context.
	rc := http.NewResponseController(w)
	for _, set := range []func(time.Time) error{rc.SetWriteDeadline, rc.SetReadDeadline} {
		if err := set(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return fmt.Errorf("alert stream: clear deadline: %w", err)
		}
	}
	alerts, unsubscribe := s.alerts.source.Subscribe()
	defer unsubscribe()
	s.alerts.open.Inc()
	defer s.alerts.open.Dec()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events on at once
	w.WriteHeader(http.StatusOK)
	send := func(format string, args ...any) bool {
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(": gridsentry alerts\nretry: 3000\n\n") {
		return nil
	}
	every := s.alerts.heartbeat
	if every <= 0 {
		every = defaultHeartbeat
	}
	heartbeat := time.NewTicker(every)
	defer heartbeat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-heartbeat.C:
			if !send(": ping\n\n") {
				return nil
			}
		case a, ok := <-alerts:
			if !ok {
				s.alerts.resyncs.Inc()
				send(resyncEvent)
				return nil
			}
			if !f.match(a) {
				continue
			}
			b, err := json.Marshal(toAlertJSON(a))
			if err != nil {
				return fmt.Errorf("alert stream: encode flag %d: %w", a.FlagID, err)
			}
			if !send("id: %d\nevent: flag\ndata: %s\n\n", a.FlagID, b) {
				return nil
			}
		}
	}
}

// AlertHub fans alerts out to its subscribers within the process. Each
// subscriber has a buffer of its own; one that falls a full buffer behind
// is cut off (its channel closed, which ends its stream with a resync
// event) rather than slowing the others or silently missing alerts.
// Resync cuts off every subscriber.
type AlertHub struct {
	buffer int
	cut    atomic.Int64

	mu   sync.Mutex
	subs map[chan supervision.Alert]struct{}
}

// NewAlertHub returns a hub whose subscribers may fall buffer alerts
// behind; buffer below 1 means 64.
func NewAlertHub(buffer int) *AlertHub {
	if buffer < 1 {
		buffer = 64
	}
	return &AlertHub{buffer: buffer, subs: map[chan supervision.Alert]struct{}{}}
}

// Subscribe returns a channel of the alerts published from now on, and a
// function that ends the subscription.
func (h *AlertHub) Subscribe() (<-chan supervision.Alert, func()) {
	ch := make(chan supervision.Alert, h.buffer)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.drop(ch)
	}
}

// drop ends a subscription, once. h.mu is held.
func (h *AlertHub) drop(ch chan supervision.Alert) {
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// Publish hands a to every subscriber without waiting.
func (h *AlertHub) Publish(a supervision.Alert) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- a:
		default:
			h.drop(ch)
			h.cut.Add(1)
		}
	}
}

// Resync ends every subscription: alerts may have been missed (the source
// was not listening for a while), so clients should re-read.
func (h *AlertHub) Resync() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		h.drop(ch)
	}
}

// Subscribers returns how many subscriptions are open.
func (h *AlertHub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// CutOff returns how many subscribers were cut off for falling behind.
func (h *AlertHub) CutOff() int64 { return h.cut.Load() }
