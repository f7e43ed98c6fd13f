// Package demo generates the demo city: a deterministic, synthetic standard
// address library of Dongguan on its real frame.
//
// The frame is real and embedded (see data/SOURCES.md): the 36 town-level
// units with their codes and rough centres, the 603 village and community
// names, and the city outline (GCJ-02, converted to WGS84). Everything else
// is made up:
//
//   - Towns are the Voronoi cells of their centres cut to the outline;
//     villages are the cells of sites spread over their town, grids the cells
//     of sites spread over their village. Cells are cut with simplefeatures'
//     overlay and then settled so that every division lies exactly within its
//     parent and neighbours share their edges vertex for vertex, as PostGIS
//     sees it (see clipParent.clip).
//   - Each town gets a street grid at its own angle. Its blocks become urban
//     villages with lanes (巷) and 握手楼, shop houses, estates (花园), towers
//     (大厦), plazas, markets, industrial and science parks, and schools:
//     more offices and estates in the sub-districts, more factories in the
//     towns. Each village builds outwards from its core up to its share of the
//     town, so the demo scale is a set of village centres and the city scale
//     a built-up city.
//   - Doorplates stand 10-15 m off the roads (4-5 m off lanes): odd numbers on
//     one side, even on the other, growing with the distance along the road,
//     some with a sub-number (88-1). Behind each stand one or more building
//     footprints inside its grid, and in the buildings rooms: 301, 1501,
//     铺位3, 档口12, with units (1单元) in some estates.
//
// Generate hands the city to a Sink: the divisions first, then the contents
// one town at a time in town-code order, so a loader can stream a city of a
// million buildings and six million rooms without holding it. Plan estimates
// the totals up front for a progress bar.
//
// The same Config gives the same city byte for byte. Every stage draws from
// its own random stream, seeded from the seed and what it builds (newRand):
// "villages" and "grid-sites" for the divisions, "contents" for a town's
// streets, plots and rooms. Towns are built concurrently and their building
// and place IDs made city-wide in town order, so nothing depends on
// scheduling, and no output is ever ordered by a map.
//
// AddressCases and GenerateAddressCases write addresses of the library as
// clerks type them (admin levels left out or doubled, Chinese or full-width
// numerals, 108-1号 for 108号之一, a place for the road, remarks, typos in
// the names ...) together with the room, building or doorplate each names,
// and addresses that do not exist (a wrong number, room, road or building),
// checked against the town's contents. They measure the address matcher;
// WriteAddressCases writes them as NDJSON for tools. They draw from their
// own stream, "address-cases", after the contents.
//
// After a town's library comes its supervision history, from streams of its
// own: market entities with messy registered addresses (the address-case
// noise, 96% real addresses and 4% made up) and their ground truth
// (EntityTruth, the true standard address; the service never reads it),
// then two years of history up to Config.Until: inspections, tasks pushed by
// supervision.Policy.Plan with their events, leads, complaints, violations
// and the abnormal-operation list. Each village has its own propensity to be
// inspected, so coverage is uneven as in a real city. Until is part of what
// makes the city: the same Config, Until included, gives the same history.
//
// To add a stage (anomalies and their ground truth, say), give it its own
// stream, e.g. newRand(seed, townCode, "anomalies"), and run it after the
// stages of a town: those before it then produce exactly what they did
// without it.
package demo
