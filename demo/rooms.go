package demo

import (
	"strconv"

	"github.com/gridsentry/gridsentry/addressbook"
)

// rooms adds the rooms of building id: flats numbered by floor (301, 302,
// 1501), shops (铺位3) and stalls (档口12) on the lower floors, workshops a
// floor each in factories. Labels are unique within a building and unit.
func (g *townGen) rooms(id int64, bs bldgSpec) {
	r := g.r
	add := func(unit string, floor int, label string) {
		g.roomSeq++
		g.out.Rooms = append(g.out.Rooms, addressbook.Room{
			Code:       g.td.ref.Code + pad(g.roomSeq, 9),
			BuildingID: id,
			Unit:       unit,
			Floor:      floor,
			Label:      label,
			Lifecycle:  addressbook.Lifecycle{Version: 1},
		})
	}
	flats := func(unit string, from, to, perFloor int) {
		for f := from; f <= to; f++ {
			for n := 1; n <= perFloor; n++ {
				add(unit, f, itoa(f*100+n))
			}
		}
	}
	basement := func(perFloor int) {
		for n := 1; n <= perFloor; n++ {
			add("", -1, "B1"+pad(n, 2))
		}
	}
	shop := 0
	shops := func(floor, n int, word string) {
		for range n {
			shop++
			add("", floor, word+itoa(shop))
		}
	}

	switch bs.rooms {
	case roomsHouse:
		if r.Float64() < 0.25 {
			add("", 1, "101")
		}
		for f := 2; f <= bs.floors; f++ {
			flats("", f, f, 1+weighted(r, []float64{90, 9, 1}))
		}
	case roomsShopHouse:
		shops(1, 1+r.IntN(2), "铺位")
		for f := 2; f <= bs.floors; f++ {
			flats("", f, f, 1+weighted(r, []float64{80, 20}))
		}
	case roomsEstate:
		perFloor := 2 + weighted(r, []float64{70, 30})
		for u := 1; u <= max(bs.units, 1); u++ {
			unit := ""
			if bs.units > 1 {
				unit = itoa(u) + "单元"
			}
			flats(unit, 2, bs.floors, perFloor)
		}
	case roomsOffice:
		shops(1, 2+r.IntN(5), "铺位")
		flats("", 2, bs.floors, 3+r.IntN(4))
		if bs.basement > 0 && r.Float64() < 0.15 {
			basement(1 + r.IntN(3))
		}
	case roomsMall:
		per := 8 + r.IntN(13)
		if bs.basement > 0 && r.Float64() < 0.5 {
			shops(-1, per, "铺位")
		}
		for f := 1; f <= bs.floors; f++ {
			shops(f, per, "铺位")
		}
	case roomsMarket:
		per := 15 + r.IntN(36)
		for f := 1; f <= bs.floors; f++ {
			shops(f, per, "档口")
		}
	case roomsWorkshop:
		flats("", 1, bs.floors, 1+weighted(r, []float64{75, 25}))
		if bs.basement > 0 {
			basement(1)
		}
	case roomsDorm:
		flats("", 1, bs.floors, 3+r.IntN(3))
	case roomsPublic:
		flats("", 1, bs.floors, 1)
	}
}

// Small numbers as strings, made once: room labels repeat a lot.
var smallNumbers = func() []string {
	s := make([]string, 10000)
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

func itoa(n int) string {
	if n >= 0 && n < len(smallNumbers) {
		return smallNumbers[n]
	}
	return strconv.Itoa(n)
}

// pad writes n in decimal with leading zeros to width digits.
func pad(n, width int) string {
	var buf [20]byte
	i := len(buf)
	for n > 0 || len(buf)-i < width {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
