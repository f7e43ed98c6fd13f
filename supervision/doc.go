// Package supervision is the domain of supervision after registration: market
// entities (市场主体) and their unified social credit codes, the link of an
// entity to the standard address library, the business-scope rules that push
// an entity to the departments whose permits it needs, tasks and their
// deadlines in working days, on-site inspections with their item templates
// ("4+2"), leads between departments, and the records (complaints,
// violations, the abnormal-operation list) that complete an entity's picture.
//
// It is pure: no database, no HTTP. The postgres package stores what it
// describes and the api package serves it.
package supervision
