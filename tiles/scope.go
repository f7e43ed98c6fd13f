package tiles

// A Scope is whose view of the Scoped layers a tile shows: the whole city
// (WholeCity), or one town's, named by the town's 9-digit code, for a
// reader whose token is bound to that town (a grid manager of 虎门镇 sees
// 虎门镇's entities, flags and coverage, not 长安镇's). The other layers
// are the map itself and look the same in every scope.
type Scope string

// WholeCity is the scope of a reader who sees every town: a city-wide
// token, or anyone when tiles are public.
const WholeCity Scope = ""

// Town returns the town code of a town's scope, "" for WholeCity.
func (s Scope) Town() string { return string(s) }

// For returns the scope a tile of layers is built and cached in: s when a
// layer is Scoped, WholeCity otherwise, so that a tile of the map's
// layers alone (a low zoom of the style's table source, where entities
// and flags have no tiles yet) is shared by every reader.
func (s Scope) For(layers []Layer) Scope {
	if Scoped(layers) {
		return s
	}
	return WholeCity
}

// Scoped reports whether any of layers is Scoped.
func Scoped(layers []Layer) bool {
	for _, l := range layers {
		if l.Scoped {
			return true
		}
	}
	return false
}
