package geo

import "github.com/uber/h3-go/v4"

// LatLng returns p in H3's (lat, lng) order.
func (p WGS84) LatLng() h3.LatLng { return h3.NewLatLng(p.Lat, p.Lon) }

// FromLatLng returns an H3 coordinate as a WGS84 point.
func FromLatLng(ll h3.LatLng) WGS84 { return WGS84{Lon: ll.Lng, Lat: ll.Lat} }

// Cell returns the H3 cell of p at resolution res (0 to 15).
func (p WGS84) Cell(res int) h3.Cell { return h3.LatLngToCell(p.LatLng(), res) }
