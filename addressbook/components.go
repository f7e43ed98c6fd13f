package addressbook

// Components are the parts of a typed address, as Parse finds them. Text
// fields are normalized (simplified characters, half-width, Arabic numerals);
// empty or zero means absent. Names are as written: the matcher resolves
// aliases and typos. Building and Room are in canonical form, so that
// BuildingKey(Building) and RoomKey(Room) compare with the library's labels;
// Unit is written like the library's units (1单元). Place keeps a phase
// (新城花园2期). Remarks joins the pieces with "; ", in the order written; a
// landmark with 对面, 附近 … is a remark, never the Place.
type Components struct {
	Province  string `json:"province,omitempty"`   // 广东省
	City      string `json:"city,omitempty"`       // 东莞市
	Town      string `json:"town,omitempty"`       // as written, e.g. 南城 or 南城区; the matcher resolves aliases
	Village   string `json:"village,omitempty"`    // 村/社区 as written
	Road      string `json:"road,omitempty"`       // 鸿福路
	Number    int    `json:"number,omitempty"`     // 88 of 鸿福路88号
	SubNumber int    `json:"sub_number,omitempty"` // 1 of 88号之一 / 88-1号
	Place     string `json:"place,omitempty"`      // 汇峰大厦, 长安工业区
	Building  string `json:"building,omitempty"`   // canonical label: 1栋, A座, 3号厂房, 宿舍楼
	Unit      string `json:"unit,omitempty"`       // 1单元
	Floor     int    `json:"floor,omitempty"`      // 3 of 3楼301; -1 of 负一层
	Room      string `json:"room,omitempty"`       // 301, 铺位3, 档口12, B101 (as RoomKey returns it)
	Remarks   string `json:"remarks,omitempty"`    // what was left over: brackets, 附近, 旁边 ...
}
