package auth

import "strings"

// A Permission is one kind of act a route needs. Each route of the API
// requires exactly one.
type Permission string

// The permissions. Reads of a town's data are further limited by the
// principal's scope; a permission alone never widens it.
const (
	ReadLibrary      Permission = "read_library"      // divisions, buildings, addresses: validate, parse, search, export
	WriteLibrary     Permission = "write_library"     // import into the standard address library
	ReadTiles        Permission = "read_tiles"        // vector tiles (when tiles are token-gated)
	ReadEntities     Permission = "read_entities"     // market entities, masked
	WriteEntities    Permission = "write_entities"    // register or change entities, the registration feed, abnormal listings
	ReadFlags        Permission = "read_flags"        // flags and their evidence
	ReviewFlags      Permission = "review_flags"      // confirm, dismiss, reopen or resolve a flag
	ReadTasks        Permission = "read_tasks"        // tasks, plans, visits
	WriteTasks       Permission = "write_tasks"       // assign, receive, complete, return tasks; feedback
	WriteInspections Permission = "write_inspections" // record inspections, violations, complaints
	ReadLeads        Permission = "read_leads"        // leads (线索) and their history
	HandleLeads      Permission = "handle_leads"      // accept, transfer, escalate, decide, close leads
	ManageCampaigns  Permission = "manage_campaigns"  // double-random campaigns
	ManageRules      Permission = "manage_rules"      // flag rules, scope rules, trades, cluster hosts, departments
	Export           Permission = "export"            // bulk exports of entities, flags and tasks
	ReadStats        Permission = "read_stats"        // statistics dashboards (counts, rates, hot spots), JSON and CSV
	SaveFilters      Permission = "save_filters"      // save, change and delete screening filters (高级筛选)
	Unmask           Permission = "unmask"            // see phones, ID numbers and operator names unmasked (audited)
	ReadAudit        Permission = "read_audit"        // query the audit log
	ManageTokens     Permission = "manage_tokens"     // create, list and revoke API tokens
)

// AllPermissions lists every permission in a fixed order.
var AllPermissions = []Permission{
	ReadLibrary, WriteLibrary, ReadTiles,
	ReadEntities, WriteEntities,
	ReadFlags, ReviewFlags,
	ReadTasks, WriteTasks, WriteInspections,
	ReadLeads, HandleLeads,
	ManageCampaigns, ManageRules, Export,
	ReadStats, SaveFilters,
	Unmask, ReadAudit, ManageTokens,
}

// Permissions is the permission table: what each role may do. It is the
// only place the grant lives; the README's table is written from it
// (TestPermissionTableInREADME).
var Permissions = map[Role][]Permission{
	Clerk: {
		ReadLibrary, ReadTiles,
		ReadEntities, WriteEntities,
	},
	Inspector: {
		ReadLibrary, ReadTiles,
		ReadEntities,
		ReadFlags,
		ReadTasks, WriteTasks, WriteInspections,
		ReadLeads,
	},
	GridManager: {
		ReadLibrary, ReadTiles,
		ReadEntities,
		ReadFlags, ReviewFlags,
		ReadTasks, WriteTasks, WriteInspections,
		ReadLeads, HandleLeads,
		Export, ReadStats, SaveFilters,
	},
	Department: {
		ReadLibrary, ReadTiles,
		ReadEntities,
		ReadFlags,
		ReadTasks, WriteTasks, WriteInspections,
		ReadLeads, HandleLeads,
		ReadStats, SaveFilters,
	},
	Coordinator: {
		ReadLibrary, ReadTiles,
		ReadEntities,
		ReadFlags, ReviewFlags,
		ReadTasks, WriteTasks,
		ReadLeads, HandleLeads,
		ManageCampaigns, Export, ReadStats, SaveFilters, Unmask,
	},
	GIS: {
		ReadLibrary, WriteLibrary, ReadTiles,
		ReadStats,
	},
	Admin: AllPermissions,
}

// describe words perm for an error message: "read_flags" → "read flags".
func (perm Permission) describe() string {
	return strings.ReplaceAll(string(perm), "_", " ")
}
