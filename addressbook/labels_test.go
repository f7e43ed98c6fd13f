package addressbook

import "testing"

func TestBuildingKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1栋", "1"},
		{"一栋", "1"},
		{"1幢", "1"},
		{"1座", "1"},
		{"1号楼", "1"},
		{"第1栋", "1"},
		{"第一栋", "1"},
		{"1号栋", "1"},
		{"01栋", "1"},
		{"1", "1"},
		{"１栋", "1"},
		{"A座", "A"},
		{"A栋", "A"},
		{"A幢", "A"},
		{"a座", "A"},
		{"A", "A"},
		{"A3栋", "A3"},
		{"3号厂房", "厂房3"},
		{"厂房3", "厂房3"},
		{"3#厂房", "厂房3"},
		{"3厂房", "厂房3"},
		{"三号厂房", "厂房3"},
		{"2号宿舍", "宿舍楼2"},
		{"宿舍楼", "宿舍楼"},
		{"宿舍", "宿舍楼"},
		{"员工宿舍", "宿舍楼"},
		{"员工宿舍楼", "宿舍楼"},
		{"3栋厂房", "厂房3"},
		{"综合楼", "综合楼"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := BuildingKey(tt.in); got != tt.want {
				t.Errorf("BuildingKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRoomKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"301", "301"},
		{"301室", "301"},
		{"301房", "301"},
		{"301号", "301"},
		{"301号房", "301"},
		{"三零一室", "301"},
		{"0301", "301"},
		{"１５０２", "1502"},
		{"铺位3", "铺位3"},
		{"3号铺", "铺位3"},
		{"3号铺位", "铺位3"},
		{"商铺3", "铺位3"},
		{"3铺", "铺位3"},
		{"档口12", "档口12"},
		{"12号档口", "档口12"},
		{"12档", "档口12"},
		{"档位12", "档口12"},
		{"B101", "B101"},
		{"b101", "B101"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := RoomKey(tt.in); got != tt.want {
				t.Errorf("RoomKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestKeysOfParsedLabels checks that Parse's building and room labels key
// to the same as the library's labels for the variants clerks write.
func TestKeysOfParsedLabels(t *testing.T) {
	tests := []struct{ in, building, room string }{
		{"鸿福路88号1号楼301室", "1栋", "301"},
		{"鸿福路88号第一栋三零一", "1栋", "301"},
		{"鸿福路88号A座1501", "A座", "1501"},
		{"鸿福路88号3#厂房", "3号厂房", ""},
		{"鸿福路88号3号铺位", "", "铺位3"},
		{"鸿福路88号12号档口", "", "档口12"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c := Parse(tt.in)
			if BuildingKey(c.Building) != BuildingKey(tt.building) {
				t.Errorf("BuildingKey(%q) = %q, want %q as for %q", c.Building, BuildingKey(c.Building), BuildingKey(tt.building), tt.building)
			}
			if RoomKey(c.Room) != RoomKey(tt.room) {
				t.Errorf("RoomKey(%q) = %q, want %q as for %q", c.Room, RoomKey(c.Room), RoomKey(tt.room), tt.room)
			}
		})
	}
}
