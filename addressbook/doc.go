// Package addressbook holds the standard address library (标准地址库) of the city:
// the division hierarchy (town → village → grid), roads, doorplates, buildings,
// rooms and named places, as plain Go values with orb geometry in WGS84.
//
// It is a pure package: it imports no database driver, no net/http and no logger.
// Storage lives in package postgres; the demo generator in package demo produces
// these same values.
package addressbook
