package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"golang.org/x/sync/errgroup"

	"github.com/gridsentry/gridsentry/addressbook"
)

// LoadTown reads what the address index needs of one town: its active
// library rows, without footprints.
func (db *DB) LoadTown(ctx context.Context, code string) (addressbook.TownData, error) {
	var d addressbook.TownData
	err := db.pool.QueryRow(ctx, `SELECT code, name, kind FROM towns WHERE code = $1`, code).
		Scan(&d.Town.Code, &d.Town.Name, &d.Town.Kind)
	if err != nil {
		return d, notFound(err, "town", code)
	}
	// One snapshot for all the town's tables.
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return d, translate(err, "begin index load")
	}
	defer tx.Rollback(ctx)

	rows, _ := tx.Query(ctx, `SELECT code, name, kind FROM villages WHERE town_code = $1`, code)
	d.Villages, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (addressbook.Village, error) {
		v := addressbook.Village{TownCode: code}
		return v, r.Scan(&v.Code, &v.Name, &v.Kind)
	})
	if err != nil {
		return d, translate(err, "load villages")
	}
	rows, _ = tx.Query(ctx, `SELECT code, name FROM roads WHERE town_code = $1`, code)
	d.Roads, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (addressbook.Road, error) {
		v := addressbook.Road{TownCode: code}
		return v, r.Scan(&v.Code, &v.Name)
	})
	if err != nil {
		return d, translate(err, "load roads")
	}
	rows, _ = tx.Query(ctx, `
		SELECT code, road_code, village_code, grid_code, number, sub_number, ST_X(geom), ST_Y(geom)
		FROM doorplates WHERE town_code = $1 AND retired_at IS NULL`, code)
	d.Doorplates, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (addressbook.Doorplate, error) {
		v := addressbook.Doorplate{TownCode: code}
		var lon, lat float64
		err := r.Scan(&v.Code, &v.RoadCode, &v.VillageCode, &v.GridCode, &v.Number, &v.SubNumber, &lon, &lat)
		v.Geom = orb.Point{lon, lat}
		return v, err
	})
	if err != nil {
		return d, translate(err, "load doorplates")
	}
	rows, _ = tx.Query(ctx, `SELECT id, name, kind, village_code, doorplate_code FROM places WHERE town_code = $1`, code)
	d.Places, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (addressbook.Place, error) {
		v := addressbook.Place{TownCode: code}
		return v, r.Scan(&v.ID, &v.Name, &v.Kind, &v.VillageCode, &v.DoorplateCode)
	})
	if err != nil {
		return d, translate(err, "load places")
	}
	rows, _ = tx.Query(ctx, `
		SELECT id, doorplate_code, coalesce(place_id, 0), label, use, status, floors, grid_code, village_code
		FROM buildings WHERE town_code = $1`, code)
	d.Buildings, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (addressbook.Building, error) {
		v := addressbook.Building{TownCode: code}
		return v, r.Scan(&v.ID, &v.DoorplateCode, &v.PlaceID, &v.Label, &v.Use, &v.Status, &v.Floors, &v.GridCode, &v.VillageCode)
	})
	if err != nil {
		return d, translate(err, "load buildings")
	}
	rows, _ = tx.Query(ctx, `
		SELECT r.code, r.building_id, r.unit, r.floor, r.label
		FROM rooms r JOIN buildings b ON b.id = r.building_id
		WHERE b.town_code = $1 AND r.retired_at IS NULL`, code)
	d.Rooms, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (addressbook.Room, error) {
		var v addressbook.Room
		return v, r.Scan(&v.Code, &v.BuildingID, &v.Unit, &v.Floor, &v.Label)
	})
	if err != nil {
		return d, translate(err, "load rooms")
	}
	return d, nil
}

// TownCodes lists the towns of the library.
func (db *DB) TownCodes(ctx context.Context) ([]string, error) {
	rows, _ := db.pool.Query(ctx, `SELECT code FROM towns ORDER BY code`)
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return codes, translate(err, "list towns")
}

// lastLibraryChange returns the id of the newest row of the library's change
// feed, 0 when there is none.
func (db *DB) lastLibraryChange(ctx context.Context) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM library_changes`).Scan(&id)
	return id, translate(err, "read the library change feed")
}

// townsChangedSince returns the towns the change feed names after id.
func (db *DB) townsChangedSince(ctx context.Context, id int64) ([]string, error) {
	rows, _ := db.pool.Query(ctx, `SELECT DISTINCT town_code FROM library_changes WHERE id > $1 ORDER BY 1`, id)
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return codes, translate(err, "read the library change feed")
}

// buildTowns loads and indexes the given towns, two at a time.
func (db *DB) buildTowns(ctx context.Context, codes []string) ([]*addressbook.TownIndex, error) {
	out := make([]*addressbook.TownIndex, len(codes))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i, code := range codes {
		g.Go(func() error {
			d, err := db.LoadTown(ctx, code)
			if err != nil {
				return err
			}
			out[i] = addressbook.BuildTown(d)
			return nil
		})
	}
	return out, g.Wait()
}

// AddressIndex keeps the in-memory address index fresh: it loads the whole
// library at start, then listens for the library's change feed (NOTIFY
// address_library, one notification per changed town) and rebuilds only the
// towns that changed, swapping the new index in atomically. Readers call
// Index and never wait for a reload.
type AddressIndex struct {
	db       *DB
	log      *slog.Logger
	cur      atomic.Pointer[addressbook.Index]
	seen     atomic.Int64 // the last library_changes id the index reflects
	debounce time.Duration

	mu        sync.Mutex
	reloaded  chan struct{} // closed and replaced after every swap, for tests
	onRefresh atomic.Pointer[func(towns []string)]
}

// NewAddressIndex returns an index keeper; call Load, then Run.
func NewAddressIndex(db *DB, log *slog.Logger) *AddressIndex {
	return &AddressIndex{db: db, log: log, debounce: 200 * time.Millisecond, reloaded: make(chan struct{})}
}

// Index returns the current index, or nil before the first load.
func (a *AddressIndex) Index() *addressbook.Index { return a.cur.Load() }

// Reloaded returns a channel closed at the next swap.
func (a *AddressIndex) Reloaded() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reloaded
}

func (a *AddressIndex) swap(ix *addressbook.Index) {
	a.cur.Store(ix)
	a.mu.Lock()
	close(a.reloaded)
	a.reloaded = make(chan struct{})
	a.mu.Unlock()
}

// Load builds the index of the whole library and swaps it in.
func (a *AddressIndex) Load(ctx context.Context) error {
	start := time.Now()
	last, err := a.db.lastLibraryChange(ctx)
	if err != nil {
		return err
	}
	codes, err := a.db.TownCodes(ctx)
	if err != nil {
		return err
	}
	towns, err := a.db.buildTowns(ctx, codes)
	if err != nil {
		return fmt.Errorf("load address index: %w", err)
	}
	ix := addressbook.NewIndex(towns)
	a.swap(ix)
	a.seen.Store(last)
	st := ix.Stats()
	a.log.Info("address index loaded", "towns", st.Towns, "doorplates", st.Doorplates, "rooms", st.Rooms,
		"duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// Refresh rebuilds the given towns and swaps them in.
func (a *AddressIndex) Refresh(ctx context.Context, codes []string) error {
	start := time.Now()
	last, err := a.db.lastLibraryChange(ctx)
	if err != nil {
		return err
	}
	towns, err := a.db.buildTowns(ctx, codes)
	if err != nil {
		return err
	}
	cur := a.cur.Load()
	if cur == nil {
		cur = addressbook.NewIndex(nil)
	}
	a.swap(cur.WithTowns(towns...))
	a.seen.Store(last)
	a.log.Info("address index refreshed", "towns", codes, "duration", time.Since(start).Round(time.Millisecond).String())
	if fn := a.onRefresh.Load(); fn != nil {
		(*fn)(codes)
	}
	return nil
}

// OnRefresh sets a function called with the towns after every refresh
// (not the initial load). It must not block.
func (a *AddressIndex) OnRefresh(fn func(towns []string)) { a.onRefresh.Store(&fn) }

// Run listens for library changes until ctx ends. When the listening
// connection is lost it reconnects and reloads everything, since
// notifications sent meanwhile are gone.
func (a *AddressIndex) Run(ctx context.Context) error {
	backoff := time.Second
	for ctx.Err() == nil {
		err := a.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		a.log.Warn("address index: change feed lost; reconnecting", "err", err.Error(), "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
		if err := a.Load(ctx); err != nil {
			a.log.Warn("address index: reload failed", "err", err.Error())
			continue
		}
		backoff = time.Second
	}
	return nil
}

func (a *AddressIndex) listen(ctx context.Context) error {
	conn, err := a.db.pool.Acquire(ctx)
	if err != nil {
		return translate(err, "acquire listener")
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN address_library"); err != nil {
		return translate(err, "listen")
	}
	// Changes committed between the last load and LISTEN sent their
	// notifications to nobody: catch up from the change table.
	missed, err := a.db.townsChangedSince(ctx, a.seen.Load())
	if err != nil {
		return err
	}
	if len(missed) > 0 {
		if err := a.Refresh(ctx, missed); err != nil {
			return err
		}
	}
	defer func() {
		// The connection goes back to the pool: stop listening on it.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "UNLISTEN *")
	}()
	pending := map[string]bool{}
	for {
		wait := ctx
		var cancel context.CancelFunc = func() {}
		if len(pending) > 0 {
			// Gather the notifications of a burst, then reload once.
			wait, cancel = context.WithTimeout(ctx, a.debounce)
		}
		n, err := conn.Conn().WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			pending[n.Payload] = true
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case wait.Err() == nil:
			return err // the connection failed
		}
		codes := make([]string, 0, len(pending))
		for c := range pending {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		clear(pending)
		if err := a.Refresh(ctx, codes); err != nil {
			a.log.Warn("address index: refresh failed; will reload", "towns", codes, "err", err.Error())
			return err
		}
	}
}
