package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// campaignCandidates reads the active entities of the quota areas ($1
// towns, $2 grids) that pass the filters ($3 industries, $4 kinds; empty:
// all) with the facts of their weight: the scores of the open flags
// concerning them, complaints since $5, violations. The facts are summed
// per candidate in CTEs joined on uscc: complaints and violations through
// their uscc indexes, the open flags (few beside the entities) unnested
// and hash-joined rather than probed by GIN once per candidate.
const campaignCandidates = `WITH c AS (
	SELECT e.uscc, coalesce(e.town_code, '') AS town_code, coalesce(e.village_code, '') AS village_code,
		coalesce(e.grid_code, '') AS grid_code, coalesce(e.building_id, 0) AS building_id, e.industry,
		e.registered_at, e.last_inspected_at, e.version
	FROM entities e
	WHERE e.status = 'active' AND (e.town_code = ANY($1) OR e.grid_code = ANY($2))
		AND (cardinality($3::text[]) = 0 OR e.industry = ANY($3))
		AND (cardinality($4::text[]) = 0 OR e.kind = ANY($4))
), flag AS (
	SELECT c.uscc, sum(f.score) AS score
	FROM flags f CROSS JOIN LATERAL unnest(f.usccs) AS u (uscc) JOIN c ON c.uscc = u.uscc
	WHERE f.status = 'open'
	GROUP BY c.uscc
), complaint AS (
	SELECT c.uscc, count(*) AS n FROM c JOIN complaints k ON k.uscc = c.uscc AND k.at >= $5 GROUP BY c.uscc
), violation AS (
	SELECT c.uscc, count(*) FILTER (WHERE v.kind <> 'serious') AS n, count(*) FILTER (WHERE v.kind = 'serious') AS serious
	FROM c JOIN violations v ON v.uscc = c.uscc GROUP BY c.uscc
)
SELECT c.uscc, c.town_code, c.village_code, c.grid_code, c.building_id, c.industry, c.registered_at,
	c.last_inspected_at, c.version, coalesce(flag.score, 0), coalesce(complaint.n, 0), coalesce(violation.n, 0),
	coalesce(violation.serious, 0)
FROM c LEFT JOIN flag USING (uscc) LEFT JOIN complaint USING (uscc) LEFT JOIN violation USING (uscc)`

// candidateRow is a candidate with what its check task needs.
type candidateRow struct {
	supervision.Candidate
	link    supervision.Link
	version int
}

// CreateCampaign draws a double-random campaign and pushes its checks, in
// one transaction: it checks the request (400 naming the field), reads
// the candidates of the quota areas with their weights' facts, draws with
// supervision.Draw (400 naming a quota it cannot fill), and stores the
// campaign, the entities drawn and one check task per entity for its grid
// (its village, town or the coordinator when the link knows less), due at
// req.DueAt, after req.DueDays working days, or after the policy's check
// deadline. New registrations are those of the flag rules' NewEntityDays
// unless the request says otherwise.
func (db *DB) CreateCampaign(ctx context.Context, req supervision.CampaignRequest, p supervision.Policy) (supervision.Campaign, error) {
	var id int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		now := time.Now()
		city, err := inspectionItems(ctx, tx, "")
		if err != nil {
			return err
		}
		if req.NewEntityDays == 0 {
			req.NewEntityDays = db.flagConfig().NewEntityDays
		}
		if err := req.Validate(now, city); err != nil {
			return invalidInput(err)
		}
		if req.Department != "" {
			if err := departmentKnown(ctx, tx, "department", req.Department, false); err != nil {
				return err
			}
		}
		towns, grids, err := quotaAreas(ctx, tx, req.Quotas)
		if err != nil {
			return err
		}
		kinds := make([]string, len(req.Kinds))
		for i, k := range req.Kinds {
			kinds[i] = string(k)
		}
		rows, _ := tx.Query(ctx, campaignCandidates, towns, grids, nonNil(req.Industries), kinds, now.AddDate(0, 0, -365))
		cands, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (candidateRow, error) {
			var c candidateRow
			var uscc string
			err := row.Scan(&uscc, &c.TownCode, &c.link.VillageCode, &c.GridCode, &c.link.BuildingID, &c.Industry,
				&c.RegisteredAt, &c.LastInspectedAt, &c.version, &c.OpenFlagScore, &c.Complaints, &c.Violations, &c.Serious)
			c.USCC, c.link.TownCode, c.link.GridCode = supervision.USCC(uscc), c.TownCode, c.GridCode
			return c, err
		})
		if err != nil {
			return translate(err, "read campaign candidates")
		}
		byCode := make(map[supervision.USCC]*candidateRow, len(cands))
		plain := make([]supervision.Candidate, len(cands))
		for i := range cands {
			byCode[cands[i].USCC] = &cands[i]
			plain[i] = cands[i].Candidate
		}
		picks, counts, err := supervision.Draw(plain, req.Quotas,
			supervision.Sampling{Seed: req.Seed, Now: now, NewEntityDays: req.NewEntityDays})
		if err != nil {
			return invalidInput(err)
		}

		due := p.Calendar.Deadline(now, p.DaysFor(supervision.TaskCheck))
		switch {
		case req.DueAt != nil:
			due = *req.DueAt
		case req.DueDays > 0:
			due = p.Calendar.Deadline(now, req.DueDays)
		}
		reason := "双随机抽查：" + req.Name
		tasks := make([]taskRow, len(picks))
		for i, pk := range picks {
			c := byCode[pk.USCC]
			tasks[i] = taskRow{version: c.version, task: supervision.Task{USCC: pk.USCC, Kind: supervision.TaskCheck,
				Assignee: c.link.Assignee(), Department: req.Department, TownCode: c.link.TownCode,
				VillageCode: c.link.VillageCode, GridCode: c.link.GridCode, BuildingID: c.link.BuildingID,
				Reason: reason, Items: req.Items, Keywords: []string{}, Status: supervision.TaskPushed,
				PushedAt: now, DueAt: due}}
		}
		actor := req.CreatedBy
		if actor == "" {
			actor = "campaign"
		}
		taskIDs, err := insertTasks(ctx, tx, tasks, actor)
		if err != nil {
			return err
		}

		params, err := json.Marshal(req.Params())
		if err != nil {
			return err
		}
		summary, err := json.Marshal(supervision.NewCampaignCounts(counts))
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO campaigns (name, seed, params, created_by, created_at, due_at, counts)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, req.Name, req.Seed, params, req.CreatedBy, now, due, summary).
			Scan(&id); err != nil {
			return translate(err, "store campaign")
		}
		members := make([][]any, len(picks))
		for i, pk := range picks {
			weights, err := json.Marshal(pk.Weight)
			if err != nil {
				return err
			}
			members[i] = []any{id, string(pk.USCC), float32(pk.Weight.Weight), string(pk.Reason),
				req.Quotas[pk.Quota].Area(), taskIDs[i], weights}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"campaign_entities"},
			[]string{"campaign_id", "uscc", "weight", "reason", "quota", "task_id", "weights"}, pgx.CopyFromRows(members)); err != nil {
			return translate(err, "store campaign entities")
		}
		return nil
	})
	if err != nil {
		return supervision.Campaign{}, err
	}
	return db.Campaign(ctx, id)
}

// quotaAreas checks that every quota's town or grid exists (400 naming
// the quota otherwise) and returns the town and grid codes.
func quotaAreas(ctx context.Context, tx pgx.Tx, qs []supervision.Quota) (towns, grids []string, err error) {
	for _, q := range qs {
		if q.Town != "" {
			towns = append(towns, q.Town)
		} else {
			grids = append(grids, q.Grid)
		}
	}
	rows, _ := tx.Query(ctx, `SELECT code FROM towns WHERE code = ANY($1) UNION ALL SELECT code FROM grids WHERE code = ANY($2)`,
		nonNil(towns), nonNil(grids))
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, translate(err, "find quota areas")
	}
	for i, q := range qs {
		found := false
		for _, k := range known {
			found = found || k == q.Area()
		}
		if !found {
			return nil, nil, derrors.Field(fmt.Sprintf("quotas[%d].%s", i, q.Level()), "no %s has code %s", q.Level(), q.Area())
		}
	}
	return nonNil(towns), nonNil(grids), nil
}

// Campaign returns a campaign with the entities it drew, in the order
// drawn, and the status of their check tasks now.
func (db *DB) Campaign(ctx context.Context, id int64) (supervision.Campaign, error) {
	var c supervision.Campaign
	var params, counts []byte
	err := db.pool.QueryRow(ctx, `SELECT id, name, seed, params, created_by, created_at, due_at, counts
		FROM campaigns WHERE id = $1`, id).
		Scan(&c.ID, &c.Name, &c.Seed, &params, &c.CreatedBy, &c.CreatedAt, &c.DueAt, &counts)
	if err != nil {
		return c, notFound(err, "campaign", fmt.Sprint(id))
	}
	if err := json.Unmarshal(params, &c.Params); err != nil {
		return c, fmt.Errorf("postgres: campaign %d: params: %w", id, err)
	}
	if err := json.Unmarshal(counts, &c.Counts); err != nil {
		return c, fmt.Errorf("postgres: campaign %d: counts: %w", id, err)
	}
	now := time.Now()
	rows, _ := db.pool.Query(ctx, `SELECT ce.uscc, e.name, coalesce(e.town_code, ''), coalesce(e.grid_code, ''),
			ce.quota, ce.reason, ce.weights, coalesce(ce.task_id, 0), coalesce(t.status, ''), t.due_at
		FROM campaign_entities ce
		JOIN entities e ON e.uscc = ce.uscc
		LEFT JOIN tasks t ON t.id = ce.task_id
		WHERE ce.campaign_id = $1
		ORDER BY ce.task_id, ce.uscc`, id)
	c.Entities, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (supervision.CampaignEntity, error) {
		var e supervision.CampaignEntity
		var uscc, reason, status string
		var weights []byte
		var due *time.Time
		if err := row.Scan(&uscc, &e.Name, &e.TownCode, &e.GridCode, &e.Quota, &reason, &weights, &e.TaskID, &status, &due); err != nil {
			return e, err
		}
		e.USCC, e.Reason = supervision.USCC(uscc), supervision.DrawReason(reason)
		if due != nil {
			t := supervision.Task{Status: supervision.TaskStatus(status), DueAt: *due}
			e.TaskStatus, e.DueAt = t.StatusAt(now), *due
		}
		return e, json.Unmarshal(weights, &e.Weight)
	})
	if err != nil {
		return c, translate(err, "read campaign entities")
	}
	return c, nil
}

// Plan orders an assignee's (a grid's, village's or town's) open on-site
// tasks, grouped into visits by building as Visits does, into a walking
// route from start (nil: from the most urgent visit). An assignee that
// is no division is not found.
func (db *DB) Plan(ctx context.Context, assignee string, start *geo.WGS84) (supervision.Plan, error) {
	var known bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM grids WHERE code = $1)
		OR EXISTS (SELECT 1 FROM villages WHERE code = $1) OR EXISTS (SELECT 1 FROM towns WHERE code = $1)`, assignee).Scan(&known)
	if err != nil {
		return supervision.Plan{}, translate(err, "find assignee")
	}
	if !known {
		return supervision.Plan{}, derrors.New(derrors.NotFound, "no grid, village or town has code %s", assignee)
	}
	visits, err := db.Visits(ctx, assignee)
	if err != nil {
		return supervision.Plan{}, err
	}
	return supervision.PlanVisits(visits, start), nil
}
