// Package demo generates the demo city: a deterministic, synthetic standard
// address library of Dongguan on its real frame.
//
// The frame is real and embedded (see data/SOURCES.md): the 36 town-level
// units with their codes and rough centres, the 603 village and community
// names, and the city outline (GCJ-02, converted to WGS84). Everything else
// is made up:
//
//   - Towns are the Voronoi cells of their centres cut to the outline;
//     villages are Voronoi cells of sites spread over their town, grids of
//     sites spread over their village. Cells are cut with simplefeatures'
//     overlay and then settled so that each division lies exactly within its
//     parent and neighbours share their edges vertex for vertex (see
//     clipParent.clip).
//   - Each town gets a street grid at its own angle. Its blocks are urban
//     villages with lanes (巷) and 握手楼, shop houses, estates (花园),
//     towers (大厦), plazas, markets, industrial parks and science parks,
//     more commercial in the sub-districts and more industrial in the towns.
//   - Doorplates stand along the roads (odd numbers on one side, even on the
//     other, growing along the road, some with a sub-number like 88-1), each
//     with building footprints behind it inside its grid, and rooms in the
//     buildings (301, 1501, 铺位3, 档口12).
//
// Generate(cfg, sink) hands the city to a Sink: the divisions first, then
// the contents one town at a time in town-code order, so a loader can stream
// a city of a million buildings and six million rooms without holding it.
// The same Config gives the same city byte for byte: every stage and every
// town draws from its own random stream seeded from (Seed, what it builds),
// so towns are built concurrently and output never depends on map order or
// scheduling. Plan(cfg) estimates the totals up front for a progress bar.
//
// The generator is organised in stages (divisions, then per town: street
// grid, blocks, plots, rooms) so that later stages — market entities,
// inspections, injected anomalies with their ground truth — can be added on
// their own streams without changing what the earlier stages produce.
package demo
