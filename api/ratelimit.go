package api

import (
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gridsentry/gridsentry/derrors"
)

// rateLimits keeps one token bucket per caller: per token, or per client
// address for anonymous readers of public tiles. Buckets idle for longer
// than it takes to refill are forgotten, so the map holds only the callers
// of the last minutes.
type rateLimits struct {
	limit rate.Limit // requests per second; rate.Inf: no limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
	now     func() time.Time
}

type bucket struct {
	*rate.Limiter
	seen time.Time
}

func newRateLimits(perSecond float64, burst int) *rateLimits {
	l := &rateLimits{limit: rate.Inf, burst: burst, buckets: map[string]*bucket{}, now: time.Now}
	if perSecond > 0 {
		l.limit = rate.Limit(perSecond)
	}
	if l.burst < 1 {
		l.burst = 1
	}
	return l
}

// errRateLimited is a 429 that says when to come back.
type errRateLimited struct {
	retryAfter time.Duration
	err        *derrors.Error
}

func (e errRateLimited) Error() string { return e.err.Error() }
func (e errRateLimited) Unwrap() error { return e.err }

// retryAfterSeconds is the Retry-After header's value: whole seconds,
// rounded up, at least 1.
func (e errRateLimited) retryAfterSeconds() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.retryAfter.Seconds()))))
}

// allow takes one request from key's bucket, or returns a RateLimited error
// saying how long until the bucket holds one again.
func (l *rateLimits) allow(key string) error {
	if l == nil || l.limit == rate.Inf {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{Limiter: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	l.sweep(now)
	l.mu.Unlock()

	r := b.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	r.CancelAt(now) // a refused request takes nothing from the bucket
	return errRateLimited{delay, derrors.New(derrors.RateLimited,
		"more than %g requests a second (bursts of %d) from %s: retry in %s",
		float64(l.limit), l.burst, key, delay.Round(time.Millisecond))}
}

// sweep forgets buckets that have refilled; it runs at most once a minute.
func (l *rateLimits) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	full := time.Duration(float64(l.burst) / float64(l.limit) * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.seen) > max(full, time.Minute) {
			delete(l.buckets, k)
		}
	}
}
