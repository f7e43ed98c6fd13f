module github.com/gridsentry/gridsentry

go 1.26.8

require (
	github.com/paulmach/orb v0.14.0
	github.com/twpayne/go-geom v1.7.0
	github.com/uber/h3-go/v4 v4.1.0
)
